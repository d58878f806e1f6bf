import type {
  BatchRunDto,
  ErrorContextDto,
  PipelineRunDetailDto,
  PipelineRunDto,
  StateTransitionDto,
  StepLogDto,
} from './dto/pipeline-logs-response.dto.js';
import {
  ALL_ORGS,
  type BatchRunRow,
  type RunRow,
  type StepRow,
  type TransitionRow,
  UNKNOWN_TRIGGER,
} from './pipeline-logs.repository.js';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A JSON column as an object. The pipeline service sometimes stores JSON text inside the JSON
 * value, so a string is parsed once more; anything that is still not an object is kept as `{raw}`.
 */
export function jsonObject(v: unknown): JsonObject | null {
  if (v === null || v === undefined) return null;
  if (isObject(v)) return v;
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObject(parsed)) return parsed;
    } catch {
      // not JSON text: kept raw below
    }
  }
  return { raw: v };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function iso(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : v;
}

/** The documented error-context fields only: stored contexts may carry anything else. */
export function errorContext(v: unknown): ErrorContextDto | null {
  const o = jsonObject(v);
  if (!o || 'raw' in o) return null;
  return {
    error_type: str(o.error_type),
    error_code: str(o.error_code),
    retry_count: int(o.retry_count),
    is_retryable: typeof o.is_retryable === 'boolean' ? o.is_retryable : null,
    stack_trace: str(o.stack_trace),
    suggested_action: str(o.suggested_action),
  };
}

export function toRun(r: RunRow): PipelineRunDto {
  return {
    pipeline_logging_id: r.pipeline_logging_id,
    pipeline_id: r.pipeline_id,
    status: r.status,
    trigger_type: r.trigger_type ?? UNKNOWN_TRIGGER,
    trigger_by: r.trigger_by,
    start_time: iso(r.start_time),
    end_time: iso(r.end_time),
    duration_ms: r.duration_ms,
    run_date: r.run_date,
    error_message: r.error_message,
    error_context: errorContext(r.error_context),
    parameters: jsonObject(r.parameters),
  };
}

export function toStep(r: StepRow): StepLogDto {
  return {
    step_logging_id: r.step_logging_id,
    step_name: r.step_name,
    step_type: r.step_type,
    step_index: r.step_index,
    status: r.status,
    start_time: iso(r.start_time),
    end_time: iso(r.end_time),
    duration_ms: r.duration_ms,
    rows_processed: r.rows_processed,
    error_message: r.error_message,
    error_context: errorContext(r.error_context),
    metadata: jsonObject(r.metadata),
  };
}

/** The run with `steps`, the first of its `total` steps. */
export function toRunDetail(r: RunRow, steps: StepRow[], total: number): PipelineRunDetailDto {
  return {
    ...toRun(r),
    run_metadata: jsonObject(r.run_metadata),
    steps_total: total,
    steps: steps.map(toStep),
  };
}

export function toTransition(r: TransitionRow): StateTransitionDto {
  return {
    transition_id: r.transition_id,
    pipeline_logging_id: r.pipeline_logging_id,
    step_logging_id: r.step_logging_id,
    entity_type: r.entity_type,
    from_state: r.from_state,
    to_state: r.to_state,
    transition_time: r.transition_time.toISOString(),
    error_type: r.error_type,
    error_message: r.error_message,
    retry_count: r.retry_count,
    duration_in_state_ms: r.duration_in_state_ms,
    metadata: jsonObject(r.metadata),
  };
}

/**
 * A batch's results or errors as a list: a JSON array, or (as for the run columns) the same array
 * stored as JSON text inside the JSON value. Anything else lists nothing.
 */
function entries(v: unknown): unknown[] {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return [];
    }
  }
  return Array.isArray(v) ? v : [];
}

/** Whether an entry of a batch's results or errors concerns `org`; unattributable entries do not. */
function concerns(entry: unknown, org: string): boolean {
  return isObject(entry) && entry.org_slug === org;
}

/** A platform-wide batch's counters as they concern one org: derived from its own entries. */
function ownCounters(results: Record<string, unknown>[], errors: unknown[]) {
  const count = (status: string) => results.filter((e) => e.status === status).length;
  // run-all records a provider without a daily pipeline as `skipped`; an org with nothing else
  // was not processed, nor one with an error (its key could not be read: run-all reports each of
  // its pipelines `failed` and counts the org skipped).
  const processed = errors.length === 0 && results.some((e) => e.status !== 'skipped') ? 1 : 0;
  const touched = results.length > 0 || errors.length > 0 ? 1 : 0;
  const failed = count('failed');
  return {
    // As run-all sets a batch's status, over these entries only.
    status: failed > 0 ? 'PARTIAL' : 'COMPLETED',
    orgs_processed: processed,
    orgs_skipped: touched - processed,
    pipelines_triggered: count('triggered'),
    pipelines_failed: failed,
    pipelines_skipped_quota: count('skipped_quota'),
    // One entry may stand for several integrations of one pipeline ("AWS_IAM,AWS_KEYS").
    total_integrations: new Set(results.flatMap((e) => String(e.provider ?? '').split(',')).filter(Boolean))
      .size,
  };
}

/**
 * A platform-wide (ALL) batch names every org it touched: an org sees only its own entries of it,
 * and counters counted over them (the platform's totals would tell it about other orgs). Its own
 * batches are shown whole. listBatchRuns reads only the viewer's entries of a platform-wide batch;
 * they are checked again here, where the counters are made of them.
 */
export function toBatchRun(r: BatchRunRow, viewer: string): BatchRunDto {
  const platformWide = r.org_slug === ALL_ORGS;
  const visible = (list: unknown) =>
    platformWide ? entries(list).filter((e) => concerns(e, viewer)) : entries(list);
  const results = visible(r.results).filter(isObject);
  const errors = visible(r.errors);
  return {
    batch_run_id: r.batch_run_id,
    org_slug: r.org_slug,
    trigger_type: r.trigger_type,
    status: r.status,
    run_date: r.run_date,
    dry_run: r.dry_run,
    orgs_processed: r.orgs_processed,
    orgs_skipped: r.orgs_skipped,
    pipelines_triggered: r.pipelines_triggered,
    pipelines_failed: r.pipelines_failed,
    pipelines_skipped_quota: r.pipelines_skipped_quota,
    total_integrations: r.total_integrations,
    ...(platformWide ? ownCounters(results, errors) : {}),
    results,
    errors,
    elapsed_seconds: r.elapsed_seconds,
    triggered_at: r.triggered_at.toISOString(),
    completed_at: r.completed_at.toISOString(),
  };
}
