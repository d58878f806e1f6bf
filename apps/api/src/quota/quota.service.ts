import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '#platform';
import { loadPlanLimits, TenancyDbError } from '#tenancy-db';
import { PipelineRunsRepository } from './pipeline-runs.repository.js';
import { EXPIRED_RUN_MESSAGE } from './quota-maintenance.service.js';
import { QuotaError, QuotaErrorCode } from './quota.errors.js';
import { QuotaRepository } from './quota.repository.js';
import type {
  CompletionResult,
  HeartbeatResult,
  OrgQuotaState,
  OrgSubscription,
  ReservationDecision,
  RunRef,
  RunStatus,
} from './quota.types.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

export interface OrgQuotaView extends OrgQuotaState {
  providersConfigured: number;
}

/**
 * Pipeline quotas: the admission of a run (reserve), its completion and keep-alive, and the read of
 * an org's limits and usage. The rules live in the SQL functions; this service names the outcomes.
 */
@Injectable()
export class QuotaService implements OnModuleInit {
  private readonly logger = new Logger(QuotaService.name);
  /** How long a reservation holds its slot without a heartbeat or completion (QUOTA_RESERVATION_TTL_SECONDS). */
  readonly reservationTtlSeconds: number;

  constructor(
    private readonly quota: QuotaRepository,
    private readonly runs: PipelineRunsRepository,
    config: AppConfig,
  ) {
    this.reservationTtlSeconds = config.env.QUOTA_RESERVATION_TTL_SECONDS;
  }

  /** configs/plans.json is the source of plan defaults; the SQL reads them from plan_limits. */
  async onModuleInit(): Promise<void> {
    const changed = await this.quota.syncPlanLimits(await loadPlanLimits());
    if (changed.length)
      this.logger.log(`Plan defaults updated from configs/plans.json: ${changed.join(', ')}`);
  }

  /**
   * Admits the run or says which limit refused it; never throws a refusal (the caller answers 200).
   * An expired run admitted again runs again: the run row the stale cleanup marked FAILED when its
   * reservation expired is put back, so the run log does not show a running pipeline as failed.
   */
  async reserve(
    org: string,
    runId: string,
    pipelineId: string,
    ttlSeconds = this.reservationTtlSeconds,
  ): Promise<ReservationDecision> {
    const decision = await this.quota.reserve(org, runId, pipelineId, ttlSeconds).catch((err: unknown) => {
      // The org's row was removed (offboarding) after the reservation read it and before its writes
      // committed: a foreign key refuses them and nothing was written. Asked again, the function
      // sees the org gone and answers ORG_NOT_FOUND, a refusal, rather than a 500.
      if (err instanceof TenancyDbError && err.sqlState === '23503')
        return this.quota.reserve(org, runId, pipelineId, ttlSeconds);
      throw err;
    });
    if (decision.readmitted)
      await this.runs.reopenRun(org, runId, EXPIRED_RUN_MESSAGE).catch((err: unknown) =>
        // The run is admitted either way; its row keeps saying FAILED until the run completes.
        this.logger.warn(
          `Run ${runId} of ${org} admitted again, its run row not put back (${err instanceof Error ? err.message : err})`,
        ),
      );
    return decision;
  }

  /**
   * The grant again of a run whose reservation of that pipeline is live (a retry of a granted
   * run); null, reserving nothing, otherwise. For a caller whose own checks refused the run.
   */
  replay(
    org: string,
    runId: string,
    pipelineId: string,
    ttlSeconds = this.reservationTtlSeconds,
  ): Promise<ReservationDecision | null> {
    return this.quota.replay(org, runId, pipelineId, ttlSeconds);
  }

  async complete(org: string, ref: RunRef, status: RunStatus): Promise<CompletionResult> {
    const result = await this.quota.complete(org, ref, status);
    if (!result) throw await this.explainNotFound(org, ref);
    return result;
  }

  async heartbeat(
    org: string,
    ref: RunRef,
    ttlSeconds = this.reservationTtlSeconds,
  ): Promise<HeartbeatResult> {
    const beat = await this.quota.heartbeat(org, ref, ttlSeconds);
    if (beat.outcome === 'not_found') throw await this.explainNotFound(org, ref);
    if (beat.outcome === 'not_live')
      throw new QuotaError(
        QuotaErrorCode.ReservationNotLive,
        beat.status === 'EXPIRED'
          ? 'The reservation expired: it no longer holds a slot; validate the run again with the same run id.'
          : `The run was completed as ${beat.status}: there is nothing to extend; a new run needs a new run id.`,
        { extra: { reservation_status: beat.status } },
      );
    return beat.result;
  }

  /** Plan, billing state and effective limits; null for an org without a subscription record. */
  subscription(org: string): Promise<OrgSubscription | null> {
    return this.quota.subscription(org);
  }

  async usage(org: string): Promise<OrgQuotaView> {
    const [state, providersConfigured] = await Promise.all([
      this.quota.state(org),
      this.runs.configuredProviders(org),
    ]);
    if (!state)
      throw new OrgError(
        OrgErrorCode.NotFound,
        `Organization '${org}' has no subscription record, so it has no quota.`,
      );
    return { ...state, providersConfigured };
  }

  /**
   * Why nothing matched. A reservation id and a run id are looked up together; when the
   * reservation exists but is another run's, saying "no reservation" would send the caller looking
   * for a reservation that is there. Still 404 with the same code: the pair names no reservation,
   * and what is missing is only known from stored state (a 422 is for what the request alone shows).
   */
  private async explainNotFound(org: string, ref: RunRef): Promise<QuotaError> {
    if (ref.reservationId && ref.runId) {
      const owner = await this.quota.reservationRunId(org, ref.reservationId);
      if (owner !== null && owner !== ref.runId)
        return new QuotaError(
          QuotaErrorCode.ReservationNotFound,
          `Reservation ${ref.reservationId} is of run '${owner}', not of run '${ref.runId}': ` +
            'reservation_id and pipeline_logging_id must name the same run (send one of them, or both as validate returned them).',
          { extra: { reservation_run_id: owner } },
        );
    }
    return notFound(org, ref);
  }
}

function notFound(org: string, ref: RunRef): QuotaError {
  const what = ref.reservationId
    ? `reservation ${ref.reservationId}`
    : ref.runId
      ? `run ${ref.runId}`
      : ref.reservationDate
        ? `open reservation on ${ref.reservationDate}`
        : 'reservation past its expiry to complete';
  return new QuotaError(QuotaErrorCode.ReservationNotFound, `Organization '${org}' has no ${what}.`);
}

/** The user-facing text of a refusal, as the system this one replaces worded its limits. */
export function refusalMessage(decision: ReservationDecision): string {
  const c = decision.counts;
  switch (decision.reason) {
    case 'QUOTA_MONTHLY_EXCEEDED':
      return `Monthly pipeline quota exceeded (${c?.monthlyLimit} pipelines/month). Upgrade your plan.`;
    case 'QUOTA_DAILY_EXCEEDED':
      return `Daily pipeline quota exceeded (${c?.dailyLimit} pipelines/day). Try again tomorrow.`;
    case 'QUOTA_CONCURRENT_EXCEEDED':
      return `Concurrent pipeline limit reached (${c?.concurrentLimit} pipelines). Wait for running pipelines to complete.`;
    case 'SUBSCRIPTION_INACTIVE':
      return 'Subscription is not active. Must be ACTIVE or TRIAL.';
    case 'ORG_NOT_FOUND':
      return 'Organization has no subscription record.';
    case 'RUN_ID_CONFLICT':
      return 'This run id was already granted for another pipeline; use a new run id.';
    case 'RUN_ID_FINISHED':
      return 'This run id belongs to a run that has completed or expired; a new run needs a new run id.';
    default:
      return 'Pipeline quota exceeded. Please try again later.';
  }
}
