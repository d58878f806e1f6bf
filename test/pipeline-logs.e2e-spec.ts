import { randomUUID } from 'node:crypto';
import { anOrgWithKey } from '#test/org-factory';
import { pipelineLogsApp } from '#test/pipeline-logs-app';

const HOUR = 3_600_000;

describe('pipeline logs over the real app', () => {
  // Finished runs, started by a person.
  const suite = pipelineLogsApp((start) => ({
    trigger_by: 'alice@example.com',
    end_time: new Date(start.getTime() + 5000),
    duration_ms: 5000,
  }));
  const { base, insert, get, aRun, aStep, aTransition } = suite;

  describe('runs', () => {
    it("lists only the org's runs, newest first, with their parsed details", async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const other = await anOrgWithKey(suite.warehouse);
      const older = await aRun(a.org, {
        start_time: new Date(base - HOUR),
        status: 'FAILED',
        trigger_type: null,
        error_message: 'quota exceeded',
        error_context: {
          error_type: 'TRANSIENT',
          error_code: 'BQ_QUOTA',
          retry_count: 2,
          is_retryable: true,
          extra: 1,
        },
        parameters: '{"date": "2026-03-09"}',
      });
      const newer = await aRun(a.org, { parameters: { date: '2026-03-10' } });
      await aRun(other.org);
      const res = await get(`/api/v1/pipelines/${a.org}/runs`, a.key);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ total: 2, limit: 20, offset: 0 });
      expect(body.runs.map((r: { pipeline_logging_id: string }) => r.pipeline_logging_id)).toEqual([
        newer,
        older,
      ]);
      expect(body.runs[1]).toEqual({
        pipeline_logging_id: older,
        pipeline_id: `${a.org}-subscription-costs-subscription_cost`,
        status: 'FAILED',
        trigger_type: 'unknown',
        trigger_by: 'alice@example.com',
        start_time: new Date(base - HOUR).toISOString(),
        end_time: new Date(base - HOUR + 5000).toISOString(),
        duration_ms: 5000,
        run_date: '2026-03-10',
        error_message: 'quota exceeded',
        error_context: {
          error_type: 'TRANSIENT',
          error_code: 'BQ_QUOTA',
          retry_count: 2,
          is_retryable: true,
          stack_trace: null,
          suggested_action: null,
        },
        parameters: { date: '2026-03-09' },
      });
      expect(body.runs[0].parameters).toEqual({ date: '2026-03-10' });
    });

    it('filters by status, pipeline id, trigger type, trigger_by and run date', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const failed = await aRun(a.org, { status: 'FAILED', pipeline_id: 'cloud/gcp/cost_billing' });
      await aRun(a.org, {
        pipeline_id: 'cloud/gcp/costXbilling',
        trigger_type: 'scheduler',
        trigger_by: 'cron',
      });
      const early = await aRun(a.org, { run_date: '2026-01-05', trigger_by: 'bob@example.com' });
      const untold = await aRun(a.org, { trigger_type: null, run_date: '2026-02-01' });
      const ids = async (query: string) =>
        (await get(`/api/v1/pipelines/${a.org}/runs?${query}`, a.key))
          .json()
          .runs.map((r: { pipeline_logging_id: string }) => r.pipeline_logging_id);
      expect(await ids('status_filter=failed')).toEqual([failed]);
      expect(await ids('pipeline_id=cost_b')).toEqual([failed]);
      expect((await ids('trigger_type=SCHEDULER')).length).toBe(1);
      // Listed as "unknown", found as it is listed.
      expect(await ids('trigger_type=Unknown')).toEqual([untold]);
      expect(await ids('trigger_by=bob@')).toEqual([early]);
      expect(await ids('start_date=2026-01-01&end_date=2026-01-31')).toEqual([early]);
    });

    it('takes every empty filter as no filter, as a dashboard\'s "All" sends it', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const failed = await aRun(a.org, { status: 'FAILED', start_time: new Date(base - HOUR) });
      const anonymous = await aRun(a.org, { trigger_by: null, trigger_type: 'scheduler' });
      const all = [anonymous, failed];
      const ids = async (query: string) => {
        const res = await get(`/api/v1/pipelines/${a.org}/runs?${query}`, a.key);
        expect({ query, status: res.statusCode }).toEqual({ query, status: 200 });
        return res.json().runs.map((r: { pipeline_logging_id: string }) => r.pipeline_logging_id);
      };
      for (const field of [
        'status_filter',
        'pipeline_id',
        'trigger_type',
        'trigger_by',
        'start_date',
        'end_date',
      ])
        expect({ field, ids: await ids(`${field}=`) }).toEqual({ field, ids: all });
      expect(await ids('status_filter=%20&trigger_type=&start_date=&end_date=2026-12-31')).toEqual(all);
      expect(await ids('status_filter=&trigger_type=SCHEDULER')).toEqual([anonymous]);
    });

    it('refuses a malformed run date with one message naming its field', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      for (const [query, field] of [
        ['start_date=abc', 'start_date'],
        ['start_date=2026-1-5', 'start_date'],
        ['end_date=2026-02-30', 'end_date'],
      ]) {
        const res = await get(`/api/v1/pipelines/${a.org}/runs?${query}`, a.key);
        expect({ query, status: res.statusCode, errors: res.json().errors }).toEqual({
          query,
          status: 422,
          errors: [{ field, message: `${field} must be a calendar date as YYYY-MM-DD` }],
        });
      }
    });

    it('pages with limit and offset and reports the total over all pages', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await aRun(a.org, { start_time: new Date(base - i * HOUR) }));
      const res = await get(`/api/v1/pipelines/${a.org}/runs?limit=2&offset=1`, a.key);
      expect(res.json()).toMatchObject({ total: 5, limit: 2, offset: 1 });
      expect(res.json().runs.map((r: { pipeline_logging_id: string }) => r.pipeline_logging_id)).toEqual(
        ids.slice(1, 3),
      );
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=1e20', 'offset'],
      ['start_date=2026-02-30', 'start_date'],
      ['start_date=2026-02-10&end_date=2026-02-01', 'end_date'],
    ])('refuses %s with 422 naming %s', async (query, field) => {
      const a = await anOrgWithKey(suite.warehouse);
      const res = await get(`/api/v1/pipelines/${a.org}/runs?${query}`, a.key);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(new Set(res.json().errors.map((e: { field: string }) => e.field))).toEqual(new Set([field]));
    });
  });

  describe('one run, its steps and transitions', () => {
    it('shows the run with its finished steps in step order, and 404 for unknown or foreign runs', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const other = await anOrgWithKey(suite.warehouse);
      const runId = await aRun(a.org, { run_metadata: { source: 'api' } });
      await aStep(a.org, runId, 2, {
        status: 'FAILED',
        error_message: 'boom',
        error_context: { error_code: 'X' },
      });
      await aStep(a.org, runId, 1);
      await aStep(a.org, runId, 3, { status: 'RUNNING' });
      const foreignRun = await aRun(other.org);
      const res = await get(`/api/v1/pipelines/${a.org}/runs/${runId}`, a.key);
      expect(res.statusCode).toBe(200);
      expect(res.json().run_metadata).toEqual({ source: 'api' });
      expect(
        res.json().steps.map((s: { step_name: string; status: string }) => [s.step_name, s.status]),
      ).toEqual([
        ['step_1', 'COMPLETED'],
        ['step_2', 'FAILED'],
      ]);
      expect(res.json().steps[1].error_context).toMatchObject({ error_code: 'X', error_type: null });
      for (const id of ['no_such_run', foreignRun]) {
        const missing = await get(`/api/v1/pipelines/${a.org}/runs/${id}`, a.key);
        expect({ status: missing.statusCode, code: missing.json().code }).toEqual({
          status: 404,
          code: 'PIPELINE_RUN_NOT_FOUND',
        });
      }
    });

    it('lists steps: final ones by default, any status when filtered, empty for an unknown run', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const runId = await aRun(a.org);
      for (const i of [1, 2, 3]) await aStep(a.org, runId, i);
      await aStep(a.org, runId, 4, { status: 'RUNNING' });
      const page = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/steps?limit=2&offset=1`, a.key);
      expect(page.json()).toMatchObject({ total: 3, limit: 2, offset: 1 });
      expect(page.json().steps.map((s: { step_index: number }) => s.step_index)).toEqual([2, 3]);
      const running = await get(
        `/api/v1/pipelines/${a.org}/runs/${runId}/steps?status_filter=running`,
        a.key,
      );
      expect(running.json().steps.map((s: { step_index: number }) => s.step_index)).toEqual([4]);
      // An empty filter is no filter: the final steps, as when absent.
      const unfiltered = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/steps?status_filter=`, a.key);
      expect(unfiltered.json().steps.map((s: { step_index: number }) => s.step_index)).toEqual([1, 2, 3]);
      const none = await get(`/api/v1/pipelines/${a.org}/runs/nope/steps`, a.key);
      expect(none.json()).toEqual({ steps: [], total: 0, limit: 100, offset: 0 });
      const tooMany = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/steps?limit=1001`, a.key);
      expect(tooMany.json().errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    });

    it('pages through steps that share an index and a start without repeating or skipping one', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const runId = await aRun(a.org);
      // Retried steps: one index, one start. Inserted at once, as the pipeline service writes them.
      const steps = Array.from({ length: 600 }, (_, i) => ({
        step_logging_id: randomUUID(),
        org_slug: a.org,
        pipeline_logging_id: runId,
        step_name: `attempt_${i}`,
        step_type: 'gcp.bq_etl',
        step_index: 1,
        status: 'COMPLETED',
        start_time: new Date(base),
        created_at: new Date(base),
      }));
      await insert('org_meta_step_logs', steps);
      const seen: string[] = [];
      for (let offset = 0; offset < steps.length; offset += 20) {
        const res = await get(
          `/api/v1/pipelines/${a.org}/runs/${runId}/steps?limit=20&offset=${offset}`,
          a.key,
        );
        seen.push(
          ...res.json<{ steps: { step_logging_id: string }[] }>().steps.map((s) => s.step_logging_id),
        );
      }
      expect(seen.length).toBe(steps.length);
      expect(new Set(seen).size).toBe(steps.length);
    });

    it('lists a run, a step and a transition whose counters are past 2^53 instead of failing the page', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const huge = 2n ** 53n + 1n;
      const runId = await aRun(a.org, { duration_ms: huge });
      await aStep(a.org, runId, 1, { duration_ms: huge, rows_processed: huge, step_index: huge });
      const runs = await get(`/api/v1/pipelines/${a.org}/runs`, a.key);
      expect(runs.statusCode).toBe(200);
      expect(runs.json().runs).toEqual([
        expect.objectContaining({ pipeline_logging_id: runId, duration_ms: 2 ** 53 }),
      ]);
      const steps = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/steps`, a.key);
      expect(steps.statusCode).toBe(200);
      expect(steps.json().steps).toEqual([
        expect.objectContaining({ duration_ms: 2 ** 53, rows_processed: 2 ** 53, step_index: 2 ** 53 }),
      ]);
      await aTransition(a.org, runId, 1, { retry_count: huge, duration_in_state_ms: huge });
      const transitions = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/transitions`, a.key);
      expect(transitions.statusCode).toBe(200);
      expect(transitions.json().transitions).toEqual([
        expect.objectContaining({ retry_count: 2 ** 53, duration_in_state_ms: 2 ** 53 }),
      ]);
    });

    it('lists transitions oldest first, filtered by entity type, scoped to the org', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const other = await anOrgWithKey(suite.warehouse);
      const runId = await aRun(a.org);
      await aTransition(a.org, runId, 2, {
        from_state: 'RUNNING',
        to_state: 'COMPLETED',
        duration_in_state_ms: 60000,
      });
      await aTransition(a.org, runId, 1);
      await aTransition(a.org, runId, 3, { entity_type: 'STEP', step_logging_id: 's1', metadata: { n: 1 } });
      await aTransition(other.org, runId, 0);
      const all = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/transitions`, a.key);
      expect(all.json().total).toBe(3);
      expect(all.json().transitions.map((x: { to_state: string }) => x.to_state)).toEqual([
        'RUNNING',
        'COMPLETED',
        'RUNNING',
      ]);
      expect(all.json().transitions[1]).toMatchObject({ from_state: 'RUNNING', duration_in_state_ms: 60000 });
      const steps = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/transitions?entity_type=step`, a.key);
      expect(steps.json().transitions).toEqual([
        expect.objectContaining({ entity_type: 'STEP', step_logging_id: 's1', metadata: { n: 1 } }),
      ]);
      const empty = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/transitions?entity_type=`, a.key);
      expect(empty.json().total).toBe(3);
      const bad = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/transitions?entity_type=RUN`, a.key);
      expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'entity_type' })]);
    });

    it('accepts a retry of a finished run, refuses a running one, 404 for an unknown one', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const failed = await aRun(a.org, { status: 'FAILED', pipeline_id: 'p_1' });
      const running = await aRun(a.org, { status: 'RUNNING' });
      const retry = (id: string) =>
        suite.t.app.inject({
          method: 'POST',
          url: `/api/v1/pipelines/${a.org}/runs/${id}/retry`,
          headers: { 'x-api-key': a.key },
        });
      const ok = await retry(failed);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({
        success: true,
        message: `Retry initiated for pipeline p_1. Use the pipeline service to execute: POST /api/v1/pipelines/run/${a.org}/p_1`,
        new_pipeline_logging_id: null,
        original_pipeline_logging_id: failed,
      });
      const refused = await retry(running);
      expect({ status: refused.statusCode, code: refused.json().code }).toEqual({
        status: 400,
        code: 'PIPELINE_RUN_NOT_RETRYABLE',
      });
      expect(refused.json().detail).toContain('status: RUNNING');
      expect((await retry('unknown')).statusCode).toBe(404);
    });
  });
});
