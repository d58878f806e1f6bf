import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { startTestApp, type TestApp } from './test-app.js';

const NO_LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '10000', RATE_LIMIT_WRITES_PER_MINUTE: '10000' };

/**
 * Registers, in the calling describe block, the app the pipeline log suites read through (read and
 * write limits out of the way), started before its tests and closed after them; `t` and `warehouse`
 * are getters, read inside tests. Runs, steps and transitions are written straight to the central
 * tables, at `base` unless told: `runColumns` are the columns a suite's runs have beyond the ones
 * every run has (a finished run's end, its caller), as each suite's assertions expect them.
 */
export function pipelineLogsApp(runColumns: (start: Date) => Record<string, unknown>) {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp(NO_LIMITS);
  });
  afterAll(() => app?.close());
  const started = (): TestApp => {
    if (!app) throw new Error('the pipeline logs app is not started');
    return app;
  };
  const base = Date.parse('2026-03-10T12:00:00Z');
  const insert = (table: string, rows: Record<string, unknown>[]) =>
    started().app.get<Warehouse>(WAREHOUSE).insertRows({ dataset: CENTRAL_DATASET, table }, rows);

  return {
    get t() {
      return started();
    },
    get warehouse() {
      return started().app.get<Warehouse>(WAREHOUSE);
    },
    base,
    insert,
    get: (url: string, key: string) =>
      started().app.inject({ method: 'GET', url, headers: { 'x-api-key': key } }),

    async aRun(org: string, o: Record<string, unknown> = {}): Promise<string> {
      const id = (o.pipeline_logging_id as string) ?? randomUUID();
      const start = (o.start_time as Date) ?? new Date(base);
      await insert('org_meta_pipeline_runs', [
        {
          pipeline_logging_id: id,
          org_slug: org,
          pipeline_id: `${org}-subscription-costs-subscription_cost`,
          status: 'COMPLETED',
          trigger_type: 'api',
          start_time: start,
          run_date: start.toISOString().slice(0, 10),
          created_at: start,
          ...runColumns(start),
          ...o,
        },
      ]);
      return id;
    },

    async aStep(org: string, runId: string, index: number, o: Record<string, unknown> = {}) {
      const start = new Date(base + index * 1000);
      await insert('org_meta_step_logs', [
        {
          step_logging_id: randomUUID(),
          org_slug: org,
          pipeline_logging_id: runId,
          step_name: `step_${index}`,
          step_type: 'gcp.bq_etl',
          step_index: index,
          status: 'COMPLETED',
          start_time: start,
          end_time: new Date(start.getTime() + 500),
          duration_ms: 500,
          rows_processed: 10 * index,
          created_at: start,
          ...o,
        },
      ]);
    },

    async aTransition(org: string, runId: string, minute: number, o: Record<string, unknown> = {}) {
      const at = new Date(base + minute * 60_000);
      await insert('org_meta_state_transitions', [
        {
          transition_id: randomUUID(),
          org_slug: org,
          pipeline_logging_id: runId,
          entity_type: 'PIPELINE',
          from_state: 'PENDING',
          to_state: 'RUNNING',
          transition_time: at,
          transition_date: at.toISOString().slice(0, 10),
          created_at: at,
          ...o,
        },
      ]);
    },
  };
}
