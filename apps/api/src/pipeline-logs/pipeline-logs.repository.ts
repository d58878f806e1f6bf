import { Inject, Injectable } from '@nestjs/common';
import { central, param, type QueryParams, WAREHOUSE, type Warehouse } from '#warehouse';
import { entriesOf } from './batch-entries.sql.js';

/** Step statuses that end a step; in-flight steps are left out of run details. */
export const FINAL_STEP_STATUSES = ['COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED', 'TIMEOUT'];

/** The trigger type a run that recorded none is listed with. */
export const UNKNOWN_TRIGGER = 'unknown';

/** Platform-wide batch rows (run-all without an org) carry this org slug. */
export const ALL_ORGS = 'ALL';

export interface RunRow {
  pipeline_logging_id: string;
  pipeline_id: string;
  status: string;
  trigger_type: string | null;
  trigger_by: string | null;
  start_time: Date | null;
  end_time: Date | null;
  duration_ms: number | null;
  run_date: string | null;
  error_message: string | null;
  error_context: unknown;
  parameters: unknown;
  run_metadata?: unknown;
  [column: string]: unknown;
}

export interface StepRow {
  step_logging_id: string;
  step_name: string;
  step_type: string;
  step_index: number;
  status: string;
  start_time: Date | null;
  end_time: Date | null;
  duration_ms: number | null;
  rows_processed: number | null;
  error_message: string | null;
  error_context: unknown;
  metadata: unknown;
  [column: string]: unknown;
}

export interface TransitionRow {
  transition_id: string;
  pipeline_logging_id: string;
  step_logging_id: string | null;
  entity_type: string;
  from_state: string;
  to_state: string;
  transition_time: Date;
  error_type: string | null;
  error_message: string | null;
  retry_count: number | null;
  duration_in_state_ms: number | null;
  metadata: unknown;
  [column: string]: unknown;
}

export interface BatchRunRow {
  batch_run_id: string;
  org_slug: string;
  trigger_type: string;
  status: string;
  run_date: string;
  dry_run: boolean;
  orgs_processed: number;
  orgs_skipped: number;
  pipelines_triggered: number;
  pipelines_failed: number;
  pipelines_skipped_quota: number;
  total_integrations: number;
  results: unknown;
  errors: unknown;
  elapsed_seconds: number;
  triggered_at: Date;
  completed_at: Date;
  [column: string]: unknown;
}

export interface LatestRunRow {
  pipeline_logging_id: string;
  pipeline_id: string;
  status: string;
  start_time: Date;
  [column: string]: unknown;
}

export interface RunFilters {
  status?: string;
  /** Substring of pipeline_id. */
  pipelineId?: string;
  triggerType?: string;
  /** Substring of trigger_by. */
  triggerBy?: string;
  startDate?: string;
  endDate?: string;
}

export interface Page {
  limit: number;
  offset: number;
}

// Counters written by the pipeline service are read as FLOAT64: an INT64 past 2^53 (a corrupt or
// overflowed counter) would make the whole page fail to read, where a close number still shows it.
const RUN_COLUMNS = `pipeline_logging_id, pipeline_id, status, trigger_type, trigger_by, start_time, end_time,
  CAST(duration_ms AS FLOAT64) AS duration_ms, run_date, error_message, error_context, parameters`;
const STEP_COLUMNS = `step_logging_id, step_name, step_type, CAST(step_index AS FLOAT64) AS step_index,
  status, start_time, end_time,
  CAST(duration_ms AS FLOAT64) AS duration_ms, CAST(rows_processed AS FLOAT64) AS rows_processed,
  error_message, error_context, metadata`;

/** An RE2 pattern matching `text` literally: a substring filter that treats % and _ as themselves. */
function literalPattern(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}-]/g, '\\$&');
}

function runWhere(org: string, f: RunFilters): { where: string; params: QueryParams } {
  const clauses = ['org_slug = @org'];
  const params: QueryParams = { org };
  if (f.status !== undefined) {
    clauses.push('status = @status');
    params.status = f.status;
  }
  if (f.pipelineId !== undefined) {
    clauses.push('REGEXP_CONTAINS(pipeline_id, @pipeline_pattern)');
    params.pipeline_pattern = literalPattern(f.pipelineId);
  }
  if (f.triggerType !== undefined) {
    // A run that recorded no trigger type is listed as `unknown` (toRun), so that is how it is found.
    clauses.push(
      f.triggerType === UNKNOWN_TRIGGER
        ? '(trigger_type IS NULL OR trigger_type = @trigger_type)'
        : 'trigger_type = @trigger_type',
    );
    params.trigger_type = f.triggerType;
  }
  if (f.triggerBy !== undefined) {
    clauses.push('REGEXP_CONTAINS(trigger_by, @trigger_by_pattern)');
    params.trigger_by_pattern = literalPattern(f.triggerBy);
  }
  if (f.startDate !== undefined) {
    clauses.push('run_date >= @start_date');
    params.start_date = param.date(f.startDate);
  }
  if (f.endDate !== undefined) {
    clauses.push('run_date <= @end_date');
    params.end_date = param.date(f.endDate);
  }
  return { where: clauses.join(' AND '), params };
}

/** A run's steps with `status`, or with any final status when undefined. */
function stepWhere(org: string, runId: string, status: string | undefined) {
  const params: QueryParams = {
    org,
    run_id: runId,
    ...(status === undefined ? { statuses: param.stringArray(FINAL_STEP_STATUSES) } : { status }),
  };
  const statusClause = status === undefined ? 'status IN UNNEST(@statuses)' : 'status = @status';
  return { where: `org_slug = @org AND pipeline_logging_id = @run_id AND ${statusClause}`, params };
}

function pageParams(page: Page): QueryParams {
  return { limit: param.int(page.limit), offset: param.int(page.offset) };
}

/** The central run, step, transition and batch tables; every query is scoped to one org. */
@Injectable()
export class PipelineLogsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  /** The latest run of each pipeline started in [from, to). */
  latestRunsBetween(org: string, from: Date, to: Date): Promise<LatestRunRow[]> {
    return this.warehouse.query<LatestRunRow>(
      `SELECT pipeline_logging_id, pipeline_id, status, start_time
       FROM ${central('org_meta_pipeline_runs')}
       WHERE org_slug = @org AND start_time >= @from AND start_time < @to
       QUALIFY ROW_NUMBER() OVER (PARTITION BY pipeline_id ORDER BY start_time DESC, pipeline_logging_id DESC) = 1`,
      { org, from: param.timestamp(from), to: param.timestamp(to) },
    );
  }

  async listRuns(org: string, filters: RunFilters, page: Page): Promise<{ rows: RunRow[]; total: number }> {
    const { where, params } = runWhere(org, filters);
    const table = central('org_meta_pipeline_runs');
    const [rows, total] = await Promise.all([
      this.warehouse.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM ${table} WHERE ${where}
         ORDER BY start_time DESC, pipeline_logging_id LIMIT @limit OFFSET @offset`,
        { ...params, ...pageParams(page) },
      ),
      this.count(`SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`, params),
    ]);
    return { rows, total };
  }

  async findRun(org: string, runId: string): Promise<RunRow | null> {
    const rows = await this.warehouse.query<RunRow>(
      `SELECT ${RUN_COLUMNS}, run_metadata FROM ${central('org_meta_pipeline_runs')}
       WHERE org_slug = @org AND pipeline_logging_id = @run_id LIMIT 1`,
      { org, run_id: runId },
    );
    return rows[0] ?? null;
  }

  /** Steps of a run with `status` (any final status when undefined), in step order, and their count. */
  async listSteps(
    org: string,
    runId: string,
    status: string | undefined,
    page: Page,
  ): Promise<{ rows: StepRow[]; total: number }> {
    const { where, params } = stepWhere(org, runId, status);
    const [rows, total] = await Promise.all([
      this.stepRows(org, runId, status, page),
      this.count(`SELECT COUNT(*) AS total FROM ${central('org_meta_step_logs')} WHERE ${where}`, params),
    ]);
    return { rows, total };
  }

  /**
   * One page of listSteps without the count. The step id breaks ties (a retried step shares its
   * index and may share its start): without it the rows of a tie may come in another order for each
   * page (BigQuery and DuckDB sort without a stable order), so that pages repeat one and skip another.
   */
  stepRows(org: string, runId: string, status: string | undefined, page: Page): Promise<StepRow[]> {
    const { where, params } = stepWhere(org, runId, status);
    return this.warehouse.query<StepRow>(
      `SELECT ${STEP_COLUMNS} FROM ${central('org_meta_step_logs')} WHERE ${where}
       ORDER BY step_index, start_time, step_logging_id LIMIT @limit OFFSET @offset`,
      { ...params, ...pageParams(page) },
    );
  }

  async listTransitions(
    org: string,
    runId: string,
    entityType: string | undefined,
    page: Page,
  ): Promise<{ rows: TransitionRow[]; total: number }> {
    const params: QueryParams = { org, run_id: runId, ...(entityType ? { entity_type: entityType } : {}) };
    const where = `org_slug = @org AND pipeline_logging_id = @run_id${entityType ? ' AND entity_type = @entity_type' : ''}`;
    const table = central('org_meta_state_transitions');
    const [rows, total] = await Promise.all([
      this.warehouse.query<TransitionRow>(
        `SELECT transition_id, pipeline_logging_id, step_logging_id, entity_type, from_state, to_state,
                transition_time, error_type, error_message, CAST(retry_count AS FLOAT64) AS retry_count,
                CAST(duration_in_state_ms AS FLOAT64) AS duration_in_state_ms, metadata
         FROM ${table} WHERE ${where}
         ORDER BY transition_time, transition_id LIMIT @limit OFFSET @offset`,
        { ...params, ...pageParams(page) },
      ),
      this.count(`SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`, params),
    ]);
    return { rows, total };
  }

  /**
   * The org's batch runs and the platform-wide ones that ended since the org was created, newest
   * first. A platform-wide batch names each org it touched by slug: one that ended before the org
   * existed names the slug's earlier org (offboarded, the slug taken again), whose entries (its
   * providers, its failures) are not the new org's to read. Of a platform-wide batch only the org's
   * entries of results and errors leave the warehouse: it names every org it touched (thousands
   * of entries, read for every org's page otherwise).
   */
  async listBatchRuns(org: string, page: Page): Promise<{ rows: BatchRunRow[]; total: number }> {
    const table = central('org_meta_pipeline_batch_runs');
    const where = `(org_slug = @org OR (org_slug = @all_orgs AND completed_at >= (
      SELECT MIN(created_at) FROM ${central('org_profiles')} WHERE org_slug = @org)))`;
    const params: QueryParams = { org, all_orgs: ALL_ORGS };
    const [rows, total] = await Promise.all([
      this.warehouse.query<BatchRunRow>(
        `SELECT batch_run_id, org_slug, trigger_type, status, run_date, dry_run, orgs_processed, orgs_skipped,
                pipelines_triggered, pipelines_failed, pipelines_skipped_quota, total_integrations,
                IF(org_slug = @all_orgs, ${entriesOf('results', 'org')}, results) AS results,
                IF(org_slug = @all_orgs, ${entriesOf('errors', 'org')}, errors) AS errors,
                elapsed_seconds, triggered_at, completed_at
         FROM ${table} WHERE ${where}
         ORDER BY triggered_at DESC, batch_run_id LIMIT @limit OFFSET @offset`,
        { ...params, ...pageParams(page) },
      ),
      this.count(`SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`, params),
    ]);
    return { rows, total };
  }

  private async count(sql: string, params: QueryParams): Promise<number> {
    const rows = await this.warehouse.query<{ total: number }>(sql, params);
    return Number(rows[0]?.total ?? 0);
  }
}
