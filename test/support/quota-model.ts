import type { QuotaRefusalReason, RunStatus } from '../../apps/api/src/quota/quota.types.js';

/**
 * A plain-TypeScript model of 0004_pipeline_quota.sql, for the property specs: given the same
 * sequence of calls it must give the same answers as the SQL. Times are epoch milliseconds (UTC).
 */
export interface ModelLimits {
  daily: number;
  monthly: number;
  concurrent: number;
}

export interface ModelRun {
  runId: string;
  pipeline: string;
  date: string;
  status: 'RESERVED' | RunStatus | 'EXPIRED';
  expiresAt: number;
}

export interface ModelDecision {
  granted: boolean;
  reason: QuotaRefusalReason | null;
  replayed: boolean;
  reservationDate: string | null;
  retryAfterSeconds: number | null;
  counts: { dailyUsed: number; monthlyUsed: number; concurrentUsed: number };
}

interface ModelOrg {
  limits: ModelLimits;
  /** The latest time an admission decided at (0 before the first). */
  clock: number;
  runs: Map<string, ModelRun>;
}

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
const nextMidnight = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};
const nextMonth = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};
const secondsUntil = (now: number, until: number) => Math.max(1, Math.ceil((until - now) / 1000));

export class QuotaModel {
  readonly orgs = new Map<string, ModelOrg>();

  addOrg(slug: string, limits: ModelLimits): void {
    this.orgs.set(slug, { limits, clock: 0, runs: new Map() });
  }

  /** Usage of the org at `now`: counted runs of the day and the month, live reservations. */
  usage(slug: string, now: number) {
    const org = this.org(slug);
    const counted = [...org.runs.values()].filter((r) => r.status !== 'FAILED');
    const live = [...org.runs.values()].filter((r) => r.status === 'RESERVED' && r.expiresAt > now);
    return {
      daily: counted.filter((r) => r.date === dayOf(now)).length,
      monthly: counted.filter((r) => r.date.slice(0, 7) === monthOf(now)).length,
      live: live.length,
      oldest: Math.min(...live.map((r) => r.expiresAt)),
    };
  }

  reserve(slug: string, runId: string, pipeline: string, ttlSeconds: number, at: number): ModelDecision {
    const org = this.org(slug);
    const now = Math.max(org.clock, at);
    const u = this.usage(slug, now);
    const counts = { dailyUsed: u.daily, monthlyUsed: u.monthly, concurrentUsed: u.live };
    const refuse = (reason: QuotaRefusalReason, retryAfterSeconds: number | null = null): ModelDecision => ({
      granted: false,
      reason,
      replayed: false,
      reservationDate: null,
      retryAfterSeconds,
      counts,
    });
    const prior = org.runs.get(runId);
    if (prior) {
      if (prior.pipeline !== pipeline) return { ...refuse('RUN_ID_CONFLICT'), reservationDate: prior.date };
      if (prior.status === 'SUCCESS' || prior.status === 'FAILED')
        return { ...refuse('RUN_ID_FINISHED'), reservationDate: prior.date };
      if ((prior.status === 'EXPIRED' || prior.expiresAt <= now) && prior.date === dayOf(now)) {
        // Re-admission of a run expired today: the concurrent limit only; its day's count stays.
        const limit = org.limits.concurrent;
        if (u.live >= limit)
          return refuse('QUOTA_CONCURRENT_EXCEEDED', limit === 0 ? null : secondsUntil(now, u.oldest));
        org.clock = now;
        prior.status = 'RESERVED';
        prior.expiresAt = now + ttlSeconds * 1000;
        return {
          granted: true,
          reason: null,
          replayed: false,
          reservationDate: prior.date,
          retryAfterSeconds: null,
          counts: { ...counts, concurrentUsed: u.live + 1 },
        };
      }
      if (prior.status === 'RESERVED' && prior.expiresAt > now)
        return {
          ...refuse('RUN_ID_CONFLICT'),
          granted: true,
          reason: null,
          replayed: true,
          reservationDate: prior.date,
        };
    }
    // A new run, or one expired on an earlier day, admitted as a new run: it moves to today, so
    // one already counted this month is one of the month's runs once.
    const monthOthers = u.monthly - (prior && prior.date.slice(0, 7) === monthOf(now) ? 1 : 0);
    const L = org.limits;
    let reason: QuotaRefusalReason | null = null;
    let until = 0;
    let never = false;
    if (monthOthers >= L.monthly) {
      reason = 'QUOTA_MONTHLY_EXCEEDED';
      never = L.monthly === 0;
      until = nextMonth(now);
    }
    if (u.daily >= L.daily && !never && (reason === null || L.daily === 0 || nextMidnight(now) > until)) {
      reason = 'QUOTA_DAILY_EXCEEDED';
      never = L.daily === 0;
      until = nextMidnight(now);
    }
    if (u.live >= L.concurrent && !never && (reason === null || L.concurrent === 0 || u.oldest > until)) {
      reason = 'QUOTA_CONCURRENT_EXCEEDED';
      never = L.concurrent === 0;
      until = u.oldest;
    }
    if (reason) return refuse(reason, never ? null : secondsUntil(now, until));
    org.clock = now;
    org.runs.set(runId, {
      runId,
      pipeline,
      date: dayOf(now),
      status: 'RESERVED',
      expiresAt: now + ttlSeconds * 1000,
    });
    return {
      granted: true,
      reason: null,
      replayed: false,
      reservationDate: dayOf(now),
      retryAfterSeconds: null,
      counts: { dailyUsed: u.daily + 1, monthlyUsed: monthOthers + 1, concurrentUsed: u.live + 1 },
    };
  }

  complete(slug: string, runId: string, status: RunStatus): { outcome: string; status: RunStatus | null } {
    const run = this.org(slug).runs.get(runId);
    if (!run) return { outcome: 'not_found', status: null };
    if (run.status === 'SUCCESS' || run.status === 'FAILED')
      return { outcome: 'already_completed', status: run.status };
    run.status = status;
    return { outcome: 'completed', status };
  }

  heartbeat(slug: string, runId: string, ttlSeconds: number, at: number): string {
    const org = this.org(slug);
    const run = org.runs.get(runId);
    if (!run) return 'not_found';
    const now = Math.max(org.clock, at);
    if (run.status !== 'RESERVED' || run.expiresAt <= now) return 'not_live';
    run.expiresAt = Math.max(run.expiresAt, now + ttlSeconds * 1000);
    return 'extended';
  }

  expire(now: number): void {
    for (const org of this.orgs.values())
      for (const run of org.runs.values())
        if (run.status === 'RESERVED' && run.expiresAt <= now) run.status = 'EXPIRED';
  }

  private org(slug: string): ModelOrg {
    const org = this.orgs.get(slug);
    if (!org) throw new Error(`model: unknown org ${slug}`);
    return org;
  }
}

export { seededRandom } from '../../apps/api/src/common/seeded-random.js';
