import { Inject, Injectable } from '@nestjs/common';
import { type PlanLimitsTable, PLAN_NAMES, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { isoInstant, isoInstantOrNull } from '../common/iso-instant.js';
import {
  type CompleteRow,
  type ExpiredRow,
  type HeartbeatRow,
  type LimitsRow,
  type PlanLimitsRow,
  type QuotaRow,
  type ReserveRow,
  subscriptionOf,
} from './quota-rows.js';
import type {
  CompletionResult,
  ExpiredReservation,
  HeartbeatResult,
  LiveRun,
  OrgQuotaState,
  OrgSubscription,
  PeriodRow,
  QuotaRefusalReason,
  ReservationDecision,
  RunRef,
  RunStatus,
} from './quota.types.js';

export type HeartbeatOutcome =
  | { outcome: 'extended'; result: HeartbeatResult }
  | { outcome: 'not_live'; status: string }
  | { outcome: 'not_found' };

/**
 * The quota's tenancy-DB side: every write is one SQL function of 0004_pipeline_quota.sql, so one
 * transaction on every driver. `now` exists for tests that move time; the API leaves it to the DB.
 */
@Injectable()
export class QuotaRepository {
  constructor(@Inject(TENANCY_DB) private readonly db: TenancyDb) {}

  async reserve(
    org: string,
    runId: string,
    pipelineId: string,
    ttlSeconds: number,
    now?: Date,
  ): Promise<ReservationDecision> {
    const row = await this.runRow('reserve_pipeline_run', org, runId, pipelineId, ttlSeconds, now);
    return decisionOf(org, row);
  }

  /**
   * The grant of a run id whose reservation of that pipeline is live, answered again (replayed);
   * null, reserving nothing, when there is none: a new run, or one that expired or completed.
   */
  async replay(
    org: string,
    runId: string,
    pipelineId: string,
    ttlSeconds: number,
    now?: Date,
  ): Promise<ReservationDecision | null> {
    const row = await this.runRow('replay_pipeline_run', org, runId, pipelineId, ttlSeconds, now);
    return row ? decisionOf(org, row) : null;
  }

  /** The row of reserve_pipeline_run or replay_pipeline_run (same arguments, same row; none for a replay of nothing). */
  private async runRow(
    fn: 'reserve_pipeline_run' | 'replay_pipeline_run',
    org: string,
    runId: string,
    pipelineId: string,
    ttlSeconds: number,
    now?: Date,
  ): Promise<ReserveRow> {
    const [row] = await this.db.rpc<ReserveRow>(fn, {
      p_org_slug: org,
      p_run_id: runId,
      p_pipeline_id: pipelineId,
      p_ttl_seconds: ttlSeconds,
      ...(now ? { p_now: now } : {}),
    });
    return row;
  }

  /** null when no reservation of the org matches `ref`. */
  async complete(org: string, ref: RunRef, status: RunStatus, now?: Date): Promise<CompletionResult | null> {
    const [row] = await this.db.rpc<CompleteRow>('complete_pipeline_run', {
      p_org_slug: org,
      p_run_id: ref.runId ?? null,
      p_status: status,
      p_reservation_id: ref.reservationId ?? null,
      p_reservation_date: ref.reservationDate ?? null,
      ...(now ? { p_now: now } : {}),
    });
    if (row.outcome === 'not_found') return null;
    return {
      outcome: row.outcome,
      reservationId: row.reservation_id as string,
      runId: row.run_id as string,
      pipelineId: row.pipeline_id as string,
      reservationDate: row.reservation_date as string,
      status: row.status as RunStatus,
      completedAt: isoInstant(row.completed_at as string),
    };
  }

  async heartbeat(org: string, ref: RunRef, ttlSeconds: number, now?: Date): Promise<HeartbeatOutcome> {
    const [row] = await this.db.rpc<HeartbeatRow>('heartbeat_pipeline_run', {
      p_org_slug: org,
      p_run_id: ref.runId ?? null,
      p_reservation_id: ref.reservationId ?? null,
      p_ttl_seconds: ttlSeconds,
      ...(now ? { p_now: now } : {}),
    });
    if (row.outcome === 'not_found') return { outcome: 'not_found' };
    if (row.outcome === 'not_live') return { outcome: 'not_live', status: row.status as string };
    return {
      outcome: 'extended',
      result: {
        reservationId: row.reservation_id as string,
        runId: row.run_id as string,
        expiresAt: isoInstant(row.expires_at as string),
      },
    };
  }

  /**
   * The run id a reservation of the org was made for; null when the org has no such reservation.
   * A plain read (no transaction needed): it only explains a lookup that found nothing.
   */
  async reservationRunId(org: string, reservationId: string): Promise<string | null> {
    const [row] = await this.db.select<{ run_id: string }>(
      'pipeline_reservations',
      { org_slug: org, reservation_id: reservationId },
      { columns: ['run_id'], limit: 1 },
    );
    return row?.run_id ?? null;
  }

  /** Plan, billing state and limits without usage (the cheaper read); null for an unknown org. */
  async subscription(org: string): Promise<OrgSubscription | null> {
    const [row] = await this.db.rpc<LimitsRow>('pipeline_quota_limits', { p_org_slug: org });
    return row ? subscriptionOf(row) : null;
  }

  /** null when the org has no tenancy-DB row. */
  async state(org: string, now?: Date): Promise<OrgQuotaState | null> {
    const [row] = await this.db.rpc<QuotaRow>('get_pipeline_quota', {
      p_org_slug: org,
      ...(now ? { p_now: now } : {}),
    });
    if (!row) return null;
    return {
      ...subscriptionOf(row),
      usageDate: row.usage_date,
      dailyUsed: row.daily_used,
      dailySucceeded: row.daily_succeeded,
      dailyFailed: row.daily_failed,
      monthlyUsed: row.monthly_used,
      concurrentUsed: row.concurrent_used,
      oldestLiveExpiresAt: isoInstantOrNull(row.oldest_live_expires_at),
    };
  }

  async expireStale(limit: number, now?: Date): Promise<ExpiredReservation[]> {
    const rows = await this.db.rpc<ExpiredRow>('expire_stale_reservations', {
      p_limit: limit,
      ...(now ? { p_now: now } : {}),
    });
    return rows.map((r) => ({
      orgSlug: r.org_slug,
      runId: r.run_id,
      reservationId: r.reservation_id,
      pipelineId: r.pipeline_id,
      reservationDate: r.reservation_date,
      expiresAt: isoInstant(r.expires_at),
      newlyExpired: r.newly_expired,
    }));
  }

  /**
   * The org and run id of every reservation still RESERVED (a run id is unique within its org
   * only). Called right after the expiry pass, which marks EXPIRED every reservation past its
   * expiry on the database's clock, so these are the live ones.
   */
  async liveRuns(): Promise<LiveRun[]> {
    const [row] = await this.db.rpc<{ org_slugs: string[] | null; run_ids: string[] | null }>(
      'live_reservation_runs',
      {},
    );
    const orgs = row?.org_slugs ?? [];
    return (row?.run_ids ?? []).map((runId, i) => ({ orgSlug: orgs[i], runId }));
  }

  async recordExpiry(reservationIds: string[]): Promise<number> {
    if (reservationIds.length === 0) return 0;
    const [row] = await this.db.rpc<{ record_reservation_expiry: number }>('record_reservation_expiry', {
      p_reservation_ids: reservationIds,
    });
    return row.record_reservation_expiry;
  }

  /** One row holding every org's entry: PostgREST would cut a row per org at its max-rows. */
  async ensurePeriodRows(now?: Date): Promise<PeriodRow[]> {
    const [row] = await this.db.rpc<{
      orgs: { org_slug: string; usage_date: string; created: boolean }[] | null;
    }>('ensure_quota_period_report', now ? { p_now: now } : {});
    return (row?.orgs ?? []).map((r) => ({
      orgSlug: r.org_slug,
      usageDate: r.usage_date,
      created: r.created,
    }));
  }

  /** Forgets finished reservations of days before `before` (YYYY-MM-DD); returns how many. */
  async pruneReservations(before: string): Promise<number> {
    const [row] = await this.db.rpc<{ prune_pipeline_reservations: number }>('prune_pipeline_reservations', {
      p_before: before,
    });
    return row.prune_pipeline_reservations;
  }

  /** Makes the SQL's plan defaults those of configs/plans.json; returns the plans it changed. */
  async syncPlanLimits(plans: PlanLimitsTable): Promise<string[]> {
    const stored = await this.db.select<PlanLimitsRow>('plan_limits');
    const byPlan = new Map(stored.map((r) => [r.plan, r]));
    const changed = PLAN_NAMES.filter((plan) => {
      const want = plans[plan];
      const have = byPlan.get(plan);
      return (
        !have ||
        have.daily_limit !== want.daily_limit ||
        have.monthly_limit !== want.monthly_limit ||
        have.concurrent_limit !== want.concurrent_limit ||
        have.seat_limit !== want.seat_limit ||
        have.providers_limit !== want.providers_limit
      );
    });
    if (changed.length === 0) return [];
    await this.db.upsert(
      'plan_limits',
      changed.map((plan) => ({
        plan,
        daily_limit: plans[plan].daily_limit,
        monthly_limit: plans[plan].monthly_limit,
        concurrent_limit: plans[plan].concurrent_limit,
        seat_limit: plans[plan].seat_limit,
        providers_limit: plans[plan].providers_limit,
        updated_at: new Date(),
      })),
      ['plan'],
    );
    return changed;
  }
}

function decisionOf(org: string, row: ReserveRow): ReservationDecision {
  const known = row.plan !== null;
  return {
    granted: row.granted,
    reason: row.reason as QuotaRefusalReason | null,
    replayed: row.replayed,
    readmitted: row.readmitted,
    reservationId: row.reservation_id,
    reservationDate: row.reservation_date,
    expiresAt: isoInstantOrNull(row.expires_at),
    retryAfterSeconds: row.retry_after_seconds,
    counts: known
      ? {
          dailyUsed: row.daily_used ?? 0,
          dailyLimit: row.daily_limit ?? 0,
          monthlyUsed: row.monthly_used ?? 0,
          monthlyLimit: row.monthly_limit ?? 0,
          concurrentUsed: row.concurrent_used ?? 0,
          concurrentLimit: row.concurrent_limit ?? 0,
        }
      : null,
    // A known org's row has every subscription column set.
    subscription: known ? subscriptionOf({ ...(row as unknown as LimitsRow), org_slug: org }) : null,
  };
}
