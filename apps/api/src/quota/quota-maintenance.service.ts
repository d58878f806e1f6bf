import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '#platform';
import { PipelineRunsRepository } from './pipeline-runs.repository.js';
import { QuotaRepository } from './quota.repository.js';
import { type ExpiredReservation, liveRunKey } from './quota.types.js';

/** Finished reservations are kept this long (their run ids stay idempotent as long). */
export const RESERVATION_RETENTION_DAYS = 90;
/** Expired reservations handled per cleanup call; the rest wait for the next call. */
const EXPIRY_BATCH = 1000;
export const EXPIRED_RUN_MESSAGE =
  'Marked failed by stale cleanup - the quota reservation expired without a completion';
/**
 * A run no reservation names (the pipeline service validates without sending its run id, so the
 * reservation's run id is one the API made up) is failed by age, as the reference's cleanup did,
 * and not the run of a reservation still live. The age is past any hold such a reservation gets
 * without a heartbeat: QUOTA_RESERVATION_TTL_SECONDS, or twice the pipeline's timeout when longer
 * (1200 s at most in configs/pipelines.yml, so 40 minutes): an hour, or twice the configured hold
 * when that is longer.
 */
export const STALE_RUN_AGE_MS = 3_600_000;

/** How long an unnamed run stays open before the cleanup fails it, for a configured hold of `ttlSeconds`. */
export function staleRunAgeMs(ttlSeconds: number): number {
  return Math.max(STALE_RUN_AGE_MS, 2 * ttlSeconds * 1000);
}

export const agedRunMessage = (ageMs: number) =>
  `Marked failed by stale cleanup - no completion after ${Math.round(ageMs / 60_000)} minutes`;

export interface PeriodResetOutcome {
  success: boolean;
  orgsProcessed: number;
  orgsCreated: number;
  orgsSkipped: number;
  message: string;
  usageDate: string;
  details: { orgSlug: string; created: boolean }[];
}

export interface StaleCleanupOrg {
  orgSlug: string;
  reservationsExpired: number;
  runsMarkedFailed: number;
  /** Why the central run rows could not be marked (retried at the next cleanup). */
  error: string | null;
}

export interface StaleCleanupOutcome {
  success: boolean;
  orgsProcessed: number;
  orgsFixed: number;
  reservationsExpired: number;
  runsMarkedFailed: number;
  /** Of those, open runs no reservation named, failed by age (see STALE_RUN_AGE_MS). */
  agedRunsMarkedFailed: number;
  reservationsPruned: number;
  message: string;
  details: StaleCleanupOrg[];
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const openFor = (ms: number) => (ms === STALE_RUN_AGE_MS ? 'an hour' : `${Math.round(ms / 60_000)} minutes`);

/**
 * The scheduler's quota jobs. Usage rows appear with the first reservation of a day and the month's
 * usage is the sum of its days, so the resets are bookkeeping (idempotent, never preconditions),
 * and stale reservations stop counting at expiry: the cleanup only records what already happened.
 */
@Injectable()
export class QuotaMaintenanceService {
  private readonly logger = new Logger(QuotaMaintenanceService.name);
  /**
   * A run held by a reservation the API made up is still running for as long as that reservation
   * may be live: failing it by a fixed hour marked runs FAILED in the run log while they ran and
   * held their slot, whenever QUOTA_RESERVATION_TTL_SECONDS was set above 1800.
   */
  private readonly staleRunAgeMs: number;

  constructor(
    private readonly quota: QuotaRepository,
    private readonly runs: PipelineRunsRepository,
    config: AppConfig,
  ) {
    this.staleRunAgeMs = staleRunAgeMs(config.env.QUOTA_RESERVATION_TTL_SECONDS);
  }

  async resetDaily(now = new Date()): Promise<PeriodResetOutcome> {
    const rows = await this.quota.ensurePeriodRows(now);
    const created = rows.filter((r) => r.created).length;
    const day = isoDay(now);
    return {
      success: true,
      orgsProcessed: rows.length,
      orgsCreated: created,
      orgsSkipped: rows.length - created,
      usageDate: day,
      message: `Daily quota rows for ${day}: ${created} created, ${rows.length - created} already present`,
      details: rows.map((r) => ({ orgSlug: r.orgSlug, created: r.created })),
    };
  }

  async resetMonthly(now = new Date()): Promise<PeriodResetOutcome> {
    const day = now.getUTCDate();
    if (day !== 1)
      return {
        success: true,
        orgsProcessed: 0,
        orgsCreated: 0,
        orgsSkipped: 0,
        usageDate: isoDay(now),
        message: `Skipped: Not the 1st of the month (day=${day})`,
        details: [],
      };
    const daily = await this.resetDaily(now);
    return {
      ...daily,
      message:
        `Monthly usage for ${isoDay(now).slice(0, 7)} starts at 0: it is the sum of this month's daily rows ` +
        `(${daily.orgsCreated} created, ${daily.orgsSkipped} already present)`,
    };
  }

  /**
   * `at` is for tests; by default a reservation's expiry is judged on the database's clock, the one
   * reserve and heartbeat judge it on, so an app clock ahead of it never expires a live run.
   */
  async cleanupStale(at?: Date): Promise<StaleCleanupOutcome> {
    const expired = await this.quota.expireStale(EXPIRY_BATCH, at);
    const now = at ?? new Date();
    const byOrg = new Map<string, ExpiredReservation[]>();
    for (const r of expired) byOrg.set(r.orgSlug, [...(byOrg.get(r.orgSlug) ?? []), r]);

    const details: StaleCleanupOrg[] = [];
    for (const [orgSlug, reservations] of byOrg) {
      const runIds = reservations.map((r) => r.runId);
      try {
        const marked = await this.runs.markRunsFailed(orgSlug, runIds, EXPIRED_RUN_MESSAGE, now);
        await this.quota.recordExpiry(reservations.map((r) => r.reservationId));
        details.push({
          orgSlug,
          reservationsExpired: reservations.length,
          runsMarkedFailed: marked,
          error: null,
        });
      } catch (err) {
        // Left unrecorded, so the next cleanup returns these reservations and tries again.
        this.logger.warn(
          `Stale cleanup: run rows of ${orgSlug} not marked FAILED (${err instanceof Error ? err.message : err})`,
        );
        details.push({
          orgSlug,
          reservationsExpired: reservations.length,
          runsMarkedFailed: 0,
          error: 'The pipeline run log could not be updated; retried at the next cleanup.',
        });
      }
    }
    await this.reopenReadmitted(details, byOrg);
    const aged = await this.failAgedRuns(now);
    const cutoff = new Date(now.getTime() - RESERVATION_RETENTION_DAYS * 86_400_000);
    const pruned = await this.quota.pruneReservations(isoDay(cutoff));

    const failed = details.filter((d) => d.error !== null);
    const expiredRunsMarked = details.reduce((n, d) => n + d.runsMarkedFailed, 0);
    const expiredPart =
      failed.length > 0
        ? `Partial: ${expired.length} expired reservations; the run log of ${failed.length} org(s) could not be updated and will be retried`
        : expired.length === 0
          ? 'No stale reservations'
          : `${expired.length} expired reservations recorded; ${expiredRunsMarked} open runs marked FAILED`;
    const age = openFor(this.staleRunAgeMs);
    const agedPart =
      aged === null
        ? `; runs open for over ${age} could not be checked and will be at the next cleanup`
        : aged > 0
          ? `; ${aged} runs open for over ${age} without a reservation marked FAILED`
          : '';
    const message = `${expiredPart}${agedPart}`;
    return {
      success: failed.length === 0 && aged !== null,
      orgsProcessed: byOrg.size,
      orgsFixed: byOrg.size - failed.length,
      reservationsExpired: expired.length,
      runsMarkedFailed: expiredRunsMarked + (aged ?? 0),
      agedRunsMarkedFailed: aged ?? 0,
      reservationsPruned: pruned,
      message,
      details,
    };
  }

  /**
   * Puts back as RUNNING the runs this cleanup marked FAILED that are live again: one validated
   * again meanwhile was admitted, and its own reopening (QuotaService.reserve) may have come before
   * the marking. Best effort: such a run's row keeps saying FAILED until it completes.
   */
  private async reopenReadmitted(
    details: StaleCleanupOrg[],
    byOrg: Map<string, ExpiredReservation[]>,
  ): Promise<void> {
    const marked = new Set(
      details
        .filter((d) => d.error === null && d.runsMarkedFailed > 0)
        .flatMap((d) =>
          (byOrg.get(d.orgSlug) ?? []).map((r) => liveRunKey({ orgSlug: d.orgSlug, runId: r.runId })),
        ),
    );
    if (marked.size === 0) return;
    try {
      for (const run of await this.quota.liveRuns())
        if (marked.has(liveRunKey(run)))
          await this.runs.reopenRun(run.orgSlug, run.runId, EXPIRED_RUN_MESSAGE);
    } catch (err) {
      this.logger.warn(
        `Stale cleanup: runs admitted again not put back (${err instanceof Error ? err.message : err})`,
      );
    }
  }

  /** The aged-run sweep; null when the run log or the reservations could not be read. */
  private async failAgedRuns(now: Date): Promise<number | null> {
    try {
      const live = await this.quota.liveRuns();
      const cutoff = new Date(now.getTime() - this.staleRunAgeMs);
      return await this.runs.markAgedRunsFailed(cutoff, live, agedRunMessage(this.staleRunAgeMs), now);
    } catch (err) {
      this.logger.warn(`Stale cleanup: aged runs not checked (${err instanceof Error ? err.message : err})`);
      return null;
    }
  }
}
