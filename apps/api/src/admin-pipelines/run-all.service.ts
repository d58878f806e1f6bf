import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { CryptoError, CryptoErrorCode } from '#crypto';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import { PipelineStatusCache } from '../pipeline-logs/pipeline-status.cache.js';
import {
  notStarted,
  type PipelineCallResult,
  PipelineServiceClient,
} from '../pipelines-proxy/pipeline-service.client.js';
import type {
  RunAllErrorDto,
  RunAllRequestDto,
  RunAllResponseDto,
  RunAllResultDto,
} from './dto/run-all.dto.js';
import { type OrgPlan, planRuns } from './run-all-plan.js';
import { RunAllRepository } from './run-all.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { PipelineRegistry } from '../pipeline-validator/pipeline-registry.js';
import { subscriptionRefusal } from '../pipeline-validator/subscription-view.js';
import { QuotaService } from '../quota/quota.service.js';

/** Orgs triggered at the same time; one org's pipelines go one after another. */
const ORG_CONCURRENCY = 4;
const MAX_RESULTS_IN_RESPONSE = 100;
const DAY_MS = 86_400_000;

const FAILURE_TEXT: Record<Exclude<PipelineCallResult['kind'], 'response'>, string> = {
  circuit_open: 'The pipeline service is failing; calls are paused (circuit open)',
  timeout: 'The pipeline service did not answer in time',
  unreachable: 'Could not connect to the pipeline service',
  failed: 'The connection to the pipeline service failed',
};

interface OrgOutcome {
  processed: boolean;
  results: RunAllResultDto[];
  error?: RunAllErrorDto;
}

async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function toResult(base: Omit<RunAllResultDto, 'status'>, r: PipelineCallResult): RunAllResultDto {
  if (r.kind !== 'response') return { ...base, status: 'failed', detail: FAILURE_TEXT[r.kind] };
  if (r.status >= 200 && r.status < 300) {
    // The pipeline service answers a run with a JSON object, as the proxy's trigger requires: a page
    // of a proxy in between or a cut answer says nothing of the run, and is not counted as started.
    if (typeof r.json === 'object' && r.json !== null && !Array.isArray(r.json))
      return { ...base, status: 'triggered', http_status: r.status };
    return {
      ...base,
      status: 'failed',
      http_status: r.status,
      detail: `The pipeline service answered HTTP ${r.status} without a JSON object body: the run may or may not have started`,
    };
  }
  const status = r.status === 429 ? 'skipped_quota' : 'failed';
  return { ...base, status, http_status: r.status, ...(r.detail ? { detail: r.detail } : {}) };
}

/** Starts the daily cost pipelines of every configured integration, org by org, with each org's key. */
/** One result per pipeline the org planned, each with this status and detail. */
function everyPipeline(plan: OrgPlan, date: string, status: string, detail: string): RunAllResultDto[] {
  return plan.pipelines.map((p) => ({
    org_slug: plan.org,
    provider: p.provider,
    pipeline_path: p.path,
    date,
    status,
    detail,
  }));
}

@Injectable()
export class RunAllService {
  private readonly logger = new Logger(RunAllService.name);

  constructor(
    private readonly repository: RunAllRepository,
    private readonly keys: ApiKeyService,
    private readonly pipelines: PipelineServiceClient,
    private readonly registry: PipelineRegistry,
    private readonly quota: QuotaService,
    private readonly statusCache: PipelineStatusCache,
  ) {}

  /**
   * `callerKey`: the request's Idempotency-Key. A retry whose first answer was stored is replayed
   * before this runs; one whose first attempt died half-way (its instance gone) runs again, and then
   * calls each pipeline with the same Idempotency-Key as that attempt did (for the same run date), so
   * the pipeline service can tell the runs already started.
   */
  async runAll(req: RunAllRequestDto, requestId: string, callerKey?: string): Promise<RunAllResponseDto> {
    const triggeredAt = new Date();
    const batchRunId = randomUUID();
    const date = req.date ?? new Date(triggeredAt.getTime() - DAY_MS).toISOString().slice(0, 10);
    const upstreamKey =
      callerKey === undefined
        ? `run-all:${batchRunId}`
        : `run-all:${createHash('sha256').update(callerKey).digest('hex').slice(0, 32)}:${date}`;
    if (req.org_slug && !(await this.repository.isActiveOrg(req.org_slug)))
      throw new OrgError(OrgErrorCode.NotFound, `Organization '${req.org_slug}' not found or not active`);
    const orgs = req.org_slug ? [req.org_slug] : await this.repository.activeOrgs();
    const credentials = await this.repository.validCredentials(orgs, triggeredAt);
    // A pipeline the registry disables is not started: the pipeline service's validate would refuse
    // it (PIPELINE_DISABLED) for every org, each counted failed and every batch PARTIAL.
    const disabledAt = (path: string) => {
      const entry = this.registry.resolve(path.replaceAll('/', '_'));
      return entry && !entry.enabled ? entry.id : undefined;
    };
    const plans = planRuns(
      orgs,
      credentials,
      { categories: req.categories, providers: req.providers },
      disabledAt,
    );
    const run = { batchRunId, requestId, date, dryRun: req.dry_run, upstreamKey };
    const outcomes = await mapConcurrently(plans, ORG_CONCURRENCY, (plan) => this.runOrg(plan, run));

    const results = outcomes.flatMap((o) => o.results);
    const errors = outcomes.flatMap((o) => (o.error ? [o.error] : []));
    const count = (status: string) => results.filter((r) => r.status === status).length;
    const tally = {
      orgs_processed: outcomes.filter((o) => o.processed).length,
      orgs_skipped: outcomes.filter((o) => !o.processed).length,
      pipelines_triggered: count('triggered'),
      pipelines_failed: count('failed'),
      pipelines_skipped_quota: count('skipped_quota'),
      total_integrations: plans.reduce((n, p) => n + p.integrations, 0),
    };
    const status = tally.pipelines_failed > 0 ? 'PARTIAL' : 'COMPLETED';
    const completedAt = new Date();
    const elapsedSeconds = Math.round(completedAt.getTime() - triggeredAt.getTime()) / 1000;
    const batchOrg = req.org_slug ?? 'ALL';
    const batchRecorded = await this.record({
      batch_run_id: batchRunId,
      org_slug: batchOrg,
      trigger_type: req.org_slug ? 'MANUAL' : 'SCHEDULED',
      status,
      run_date: date,
      dry_run: req.dry_run,
      categories_filter: req.categories ?? null,
      providers_filter: req.providers ?? null,
      ...tally,
      results,
      errors,
      elapsed_seconds: elapsedSeconds,
      triggered_at: triggeredAt,
      completed_at: completedAt,
      created_at: completedAt,
    });
    if (!batchRecorded) errors.push({ org_slug: batchOrg, error: 'The batch record could not be written' });
    return {
      success: true,
      batch_run_id: batchRunId,
      status,
      ...tally,
      results: results.slice(0, MAX_RESULTS_IN_RESPONSE),
      errors,
      batch_recorded: batchRecorded,
      message: req.dry_run
        ? `Dry run: ${count('dry_run')} pipelines would be triggered for ${tally.orgs_processed} orgs`
        : `Triggered ${tally.pipelines_triggered} pipelines for ${tally.orgs_processed} orgs ` +
          `(${tally.pipelines_failed} failed, ${tally.pipelines_skipped_quota} skipped for quota)`,
      elapsed_seconds: elapsedSeconds,
    };
  }

  private async runOrg(
    plan: OrgPlan,
    run: { batchRunId: string; requestId: string; date: string; dryRun: boolean; upstreamKey: string },
  ): Promise<OrgOutcome> {
    const skippedProviders: RunAllResultDto[] = [
      ...plan.disabled.map((p) => ({
        org_slug: plan.org,
        provider: p.provider,
        pipeline_path: p.path,
        date: run.date,
        status: 'skipped',
        detail: `Pipeline '${p.pipelineId}' is disabled`,
      })),
      ...plan.unmapped.map((provider) => ({
        org_slug: plan.org,
        provider,
        pipeline_path: null,
        date: run.date,
        status: 'skipped',
        detail: `No daily cost pipeline for provider ${provider}`,
      })),
    ];
    if (plan.pipelines.length === 0) return { processed: false, results: skippedProviders };
    // An org whose subscription ended keeps its profile and credentials: its runs would each be
    // refused by the validator (SUBSCRIPTION_INACTIVE), counted failed, every batch PARTIAL.
    const refusal = await this.subscriptionRefusal(plan.org);
    if (refusal)
      return {
        processed: false,
        results: [...everyPipeline(plan, run.date, 'skipped', refusal), ...skippedProviders],
      };
    const apiKey = await this.orgKey(plan.org);
    // None of the org's pipelines can start without its key: each is reported failed, so the
    // batch is PARTIAL and each pipeline it planned is counted (a scheduler that alerts on
    // PARTIAL or on failed pipelines hears of an org whose key is gone).
    if (typeof apiKey !== 'string')
      return {
        processed: false,
        results: [...everyPipeline(plan, run.date, 'failed', apiKey.error), ...skippedProviders],
        error: { org_slug: plan.org, error: apiKey.error },
      };

    const results: RunAllResultDto[] = [];
    let mayHaveStarted = false;
    for (const p of plan.pipelines) {
      const base = { org_slug: plan.org, provider: p.provider, pipeline_path: p.path, date: run.date };
      if (run.dryRun) {
        results.push({ ...base, status: 'dry_run' });
        continue;
      }
      const outcome = await this.pipelines.run({
        org: plan.org,
        segments: p.path.split('/'),
        apiKey,
        requestId: run.requestId,
        // Stable per batch (or per caller's key and date), org and pipeline: a retried call is
        // recognisable as the same run.
        idempotencyKey: `${run.upstreamKey}:${plan.org}:${p.path}`,
        // The pipeline service reads the run date from the body (the reference sent it as a query
        // parameter, which the service ignored: every run-all ran for the default day).
        body: { date: run.date },
      });
      mayHaveStarted ||= !notStarted(outcome);
      results.push(toResult(base, outcome));
    }
    // As after a trigger through the proxy: the org's daily status is read afresh, on every
    // instance, rather than hiding the runs just started for the rest of its cache entry's life.
    if (mayHaveStarted) await this.statusCache.invalidateOrg(plan.org);
    return { processed: true, results: [...results, ...skippedProviders] };
  }

  /**
   * Why the org's subscription may not run pipelines (the validator's rule), or null. An org without
   * a subscription record, or one that cannot be read now, is left to the validator to decide.
   */
  private async subscriptionRefusal(org: string): Promise<string | null> {
    try {
      const subscription = await this.quota.subscription(org);
      return subscription ? subscriptionRefusal(subscription, new Date()) : null;
    } catch (err) {
      this.logger.warn(`The subscription of org ${org} could not be read: ${String(err)}`);
      return null;
    }
  }

  /**
   * The org's key, or why the org is skipped. A dry run reads it too (and calls nothing with it):
   * an org whose key has no stored copy, or one that cannot be decrypted, was planned as runnable,
   * its batch COMPLETED, and the real run then failed every one of its pipelines.
   */
  private async orgKey(org: string): Promise<string | { error: string }> {
    try {
      return (await this.keys.revealActive(org)) ?? { error: 'No active API key with a stored copy' };
    } catch (err) {
      this.logger.error(`The API key of org ${org} could not be read: ${String(err)}`);
      return { error: keyReadFailure(err) };
    }
  }

  private async record(row: Parameters<RunAllRepository['insertBatchRun']>[0]): Promise<boolean> {
    try {
      await this.repository.insertBatchRun(row);
      return true;
    } catch (err) {
      // The pipelines have been started; the caller is told the history row is missing.
      this.logger.error(`Batch run ${row.batch_run_id} could not be recorded: ${String(err)}`);
      return false;
    }
  }
}

/** Why an org's key could not be read, as the batch reports it: what to look at, not only "decrypt". */
function keyReadFailure(err: unknown): string {
  if (!(err instanceof CryptoError)) return 'The org API key could not be read: its storage did not answer';
  return err.code === CryptoErrorCode.DecryptFailed
    ? 'The stored copy of the org API key cannot be decrypted with the current encryption key'
    : 'The org API key could not be decrypted: the encryption key service did not answer';
}
