import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { OpenApiContract } from '#test/openapi-contract';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '10000', RATE_LIMIT_WRITES_PER_MINUTE: '10000' };

describe('pipeline logs: downloads, batch runs, daily status and access', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  const base = Date.parse('2026-03-10T12:00:00Z');

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const insert = (table: string, rows: Record<string, unknown>[]) =>
    warehouse.insertRows({ dataset: CENTRAL_DATASET, table }, rows);
  const get = (url: string, key: string) =>
    t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

  async function aRun(org: string, o: Record<string, unknown> = {}): Promise<string> {
    const id = randomUUID();
    const start = (o.start_time as Date) ?? new Date(base);
    await insert('org_meta_pipeline_runs', [
      {
        pipeline_logging_id: id,
        org_slug: org,
        pipeline_id: `${org}-subscription-costs-subscription_cost`,
        status: 'COMPLETED',
        trigger_type: 'api',
        start_time: start,
        duration_ms: 1200,
        run_date: start.toISOString().slice(0, 10),
        created_at: start,
        ...o,
      },
    ]);
    return id;
  }

  async function aBatch(
    org: string,
    minute: number,
    results: object[],
    errors: unknown[] = [],
    stored: (list: unknown[]) => unknown = (list) => list,
  ): Promise<string> {
    // After the orgs it names were created: an org sees no platform batch that ended before it existed.
    const at = new Date(Date.now() + minute * 60_000);
    const id = randomUUID();
    // As run-all records them: PARTIAL when any pipeline failed.
    const failed = results.filter((r) => (r as { status?: string }).status === 'failed').length;
    await insert('org_meta_pipeline_batch_runs', [
      {
        batch_run_id: id,
        org_slug: org,
        trigger_type: org === 'ALL' ? 'SCHEDULED' : 'MANUAL',
        status: failed > 0 ? 'PARTIAL' : 'COMPLETED',
        run_date: '2026-03-09',
        dry_run: false,
        orgs_processed: 2,
        orgs_skipped: 0,
        pipelines_triggered: results.length,
        pipelines_failed: failed,
        pipelines_skipped_quota: 0,
        total_integrations: results.length,
        results: stored(results),
        errors: stored(errors),
        elapsed_seconds: 1.5,
        triggered_at: at,
        completed_at: at,
        created_at: at,
      },
    ]);
    return id;
  }

  describe('download', () => {
    it('sends the run detail as a JSON attachment', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org);
      const res = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=json`, a.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="pipeline_run_${runId}.json"`);
      const detail = await get(`/api/v1/pipelines/${a.org}/runs/${runId}`, a.key);
      expect(JSON.parse(res.body)).toEqual(detail.json());
    });

    it('sends the bodies and media types its OpenAPI entry documents, JSON checked strictly', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org, { status: 'FAILED', error_message: 'failed' });
      await insert('org_meta_step_logs', [
        {
          step_logging_id: randomUUID(),
          org_slug: a.org,
          pipeline_logging_id: runId,
          step_name: 'load',
          step_type: 'gcp.bq_etl',
          step_index: 1,
          status: 'FAILED',
          start_time: new Date(base),
          rows_processed: 7,
          created_at: new Date(base),
        },
      ]);
      const contract = new OpenApiContract(
        (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json(),
      );
      const documented = '/api/v1/pipelines/{org}/runs/{id}/download';
      const url = `/api/v1/pipelines/${a.org}/runs/${runId}/download`;
      const json = await get(`${url}?format=json`, a.key);
      expect(json.json<{ steps: unknown[] }>().steps).toHaveLength(1);
      expect(contract.check('GET', documented, json)).toEqual([]);
      const csv = await get(`${url}?format=csv`, a.key);
      expect(contract.errors('GET', documented, csv.statusCode, csv.body, 'text/csv')).toEqual([]);
    });

    it('sends every step of a long run, pages of them streamed, as the step listing orders them', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org);
      const count = 1_234;
      await insert(
        'org_meta_step_logs',
        Array.from({ length: count }, (_, i) => ({
          step_logging_id: randomUUID(),
          org_slug: a.org,
          pipeline_logging_id: runId,
          step_name: `step_${i}`,
          step_type: 'gcp.bq_etl',
          step_index: i,
          status: 'COMPLETED',
          start_time: new Date(base + i),
          error_message: i === 7 ? '=1+1' : null,
          metadata: i === 3 ? { nested: { list: [1, 'two'] } } : null,
          created_at: new Date(base),
        })),
      );
      const url = `/api/v1/pipelines/${a.org}/runs/${runId}/download`;
      const json = await get(`${url}?format=json`, a.key);
      expect(json.statusCode).toBe(200);
      const detail = json.json<{ steps: { step_name: string }[] }>();
      expect(detail.steps.map((s) => s.step_name)).toEqual(
        Array.from({ length: count }, (_, i) => `step_${i}`),
      );
      // Sent as it is read, in chunks, not as one body of a known length.
      expect(json.headers['content-length']).toBeUndefined();
      // Formatted as JSON.stringify(detail, null, 2) would write it.
      expect(json.body).toBe(JSON.stringify(detail, null, 2));
      const listed = await get(
        `/api/v1/pipelines/${a.org}/runs/${runId}/steps?limit=1000&offset=1000`,
        a.key,
      );
      expect(detail.steps.slice(1000)).toEqual(listed.json<{ steps: unknown[] }>().steps);
      // The run detail lists the first 1000 steps, and says how many there are.
      const shown = (await get(`/api/v1/pipelines/${a.org}/runs/${runId}`, a.key)).json();
      expect({ listed: shown.steps.length, total: shown.steps_total }).toEqual({
        listed: 1000,
        total: count,
      });
      expect(detail).toMatchObject({ steps_total: count });
      const csv = await get(`${url}?format=csv`, a.key);
      const records: string[][] = parse(csv.body, { relax_column_count: true, skip_empty_lines: false });
      const rows = records.slice(records.findIndex((r) => r[0] === 'step_index') + 1);
      expect(rows.map((r) => r[1])).toEqual(Array.from({ length: count }, (_, i) => `step_${i}`));
      expect(rows[7]![8]).toBe("'=1+1");
    });

    it('sends a run without steps as its detail, in both formats', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org, { run_metadata: { a: [] } });
      const url = `/api/v1/pipelines/${a.org}/runs/${runId}`;
      const json = await get(`${url}/download?format=json`, a.key);
      expect(json.body).toBe(JSON.stringify((await get(url, a.key)).json(), null, 2));
      const csv = await get(`${url}/download?format=csv`, a.key);
      expect(
        csv.body.endsWith(
          'Steps\r\nstep_index,step_name,step_type,status,start_time,end_time,duration_ms,rows_processed,error_message\r\n',
        ),
      ).toBe(true);
    });

    it('reads back any run id the validator admits, with a plain file name for its download', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = `run@"2026"/${'y'.repeat(200)}`;
      await aRun(a.org, { pipeline_logging_id: runId });
      const path = `/api/v1/pipelines/${a.org}/runs/${encodeURIComponent(runId)}`;
      const detail = await get(path, a.key);
      expect(detail.statusCode).toBe(200);
      expect(detail.json()).toMatchObject({ pipeline_logging_id: runId });
      const res = await get(`${path}/download?format=json`, a.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="pipeline_run_run__2026__${'y'.repeat(200)}.json"`,
      );
    });

    it('sends an RFC 4180 CSV: a run summary block, then the steps, awkward text quoted', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org, { status: 'FAILED', error_message: 'failed, "badly"\nsee logs' });
      await insert('org_meta_step_logs', [
        {
          step_logging_id: randomUUID(),
          org_slug: a.org,
          pipeline_logging_id: runId,
          step_name: '=HYPERLINK("x")',
          step_type: 'gcp.bq_etl',
          step_index: 1,
          status: 'FAILED',
          start_time: new Date(base),
          rows_processed: 7,
          error_message: 'line1\r\nline2',
          created_at: new Date(base),
        },
      ]);
      const res = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=CSV`, a.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="pipeline_run_${runId}.csv"`);
      expect(res.body.endsWith('\r\n')).toBe(true);
      // Record separators are CRLF; a bare LF appears only inside a quoted field.
      expect(res.body.replace(/"(?:[^"]|"")*"/g, '""')).not.toMatch(/[^\r]\n/);
      const records: string[][] = parse(res.body, { relax_column_count: true, skip_empty_lines: false });
      expect(records.slice(0, 2)).toEqual([['Run Summary'], ['Field', 'Value']]);
      const summary = Object.fromEntries(records.slice(2, 12).map(([k, v]) => [k, v]));
      expect(summary).toEqual({
        pipeline_logging_id: runId,
        pipeline_id: `${a.org}-subscription-costs-subscription_cost`,
        status: 'FAILED',
        trigger_type: 'api',
        trigger_by: '',
        start_time: new Date(base).toISOString(),
        end_time: '',
        duration_ms: '1200',
        run_date: '2026-03-10',
        error_message: 'failed, "badly"\nsee logs',
      });
      expect(records.slice(12)).toEqual([
        [''],
        ['Steps'],
        [
          'step_index',
          'step_name',
          'step_type',
          'status',
          'start_time',
          'end_time',
          'duration_ms',
          'rows_processed',
          'error_message',
        ],
        [
          '1',
          `'=HYPERLINK("x")`,
          'gcp.bq_etl',
          'FAILED',
          new Date(base).toISOString(),
          '',
          '',
          '7',
          'line1\r\nline2',
        ],
      ]);
    });

    it('refuses an unknown format with 422 naming it, and an unknown run with 404', async () => {
      const a = await anOrgWithKey(warehouse);
      const runId = await aRun(a.org);
      const bad = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=xml`, a.key);
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors).toEqual([{ field: 'format', message: 'format must be one of: json, csv' }]);
      // Any case; empty is the default, JSON.
      const csv = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=CSV`, a.key);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const json = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=`, a.key);
      expect([json.statusCode, json.headers['content-type']]).toEqual([
        200,
        'application/json; charset=utf-8',
      ]);
      const missing = await get(`/api/v1/pipelines/${a.org}/runs/nope/download?format=csv`, a.key);
      expect(missing.json().code).toBe('PIPELINE_RUN_NOT_FOUND');
    });
  });

  describe('batch runs', () => {
    it("shows the org's batches and platform-wide ones with only the org's own entries", async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      const own = await aBatch(a.org, 1, [{ org_slug: a.org, provider: 'OPENAI', status: 'triggered' }]);
      await aBatch(b.org, 2, [{ org_slug: b.org, provider: 'GCP_SA', status: 'triggered' }]);
      const platform = await aBatch(
        'ALL',
        3,
        [
          { org_slug: a.org, provider: 'AWS_IAM,AWS_KEYS', status: 'triggered' },
          { org_slug: b.org, provider: 'AZURE', status: 'failed', detail: 'secret of b' },
        ],
        [{ org_slug: b.org, error: 'No active API key' }, 'an unattributed error'],
      );
      const res = await get(`/api/v1/pipelines/${a.org}/batch-runs`, a.key);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const mine = body.runs.filter((r: { batch_run_id: string }) =>
        [own, platform].includes(r.batch_run_id),
      );
      expect(mine.map((r: { batch_run_id: string }) => r.batch_run_id)).toEqual([platform, own]);
      expect(mine[0]).toMatchObject({
        org_slug: 'ALL',
        trigger_type: 'SCHEDULED',
        run_date: '2026-03-09',
        dry_run: false,
        elapsed_seconds: 1.5,
        results: [{ org_slug: a.org, provider: 'AWS_IAM,AWS_KEYS', status: 'triggered' }],
        errors: [],
        // Counted over its own entries, not the platform's (two orgs, one failure): the batch is
        // PARTIAL because another org's pipeline failed, which is not this org's to know.
        status: 'COMPLETED',
        orgs_processed: 1,
        orgs_skipped: 0,
        pipelines_triggered: 1,
        pipelines_failed: 0,
        total_integrations: 2,
      });
      expect(mine[1]).toMatchObject({ orgs_processed: 2, pipelines_triggered: 1 });
      expect(mine[1].results).toEqual([{ org_slug: a.org, provider: 'OPENAI', status: 'triggered' }]);
      expect(JSON.stringify(body)).not.toContain(b.org);
      const page = await get(`/api/v1/pipelines/${a.org}/batch-runs?limit=1`, a.key);
      expect(page.json().runs).toHaveLength(1);
      expect(page.json().total).toBe(body.total);
      expect((await get(`/api/v1/pipelines/${a.org}/batch-runs?limit=101`, a.key)).statusCode).toBe(422);
    });

    it('reads results and errors stored as JSON text, own and platform-wide rows alike', async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      // A JSON value that is the array's JSON text: the driver takes a string as JSON text already,
      // so the text is quoted once more to be stored as a JSON string.
      const asText = (list: unknown[]) => JSON.stringify(JSON.stringify(list));
      const own = await aBatch(
        a.org,
        1,
        [{ org_slug: a.org, provider: 'OPENAI', status: 'triggered' }],
        ['OPENAI: slow'],
        asText,
      );
      const platform = await aBatch(
        'ALL',
        2,
        [
          { org_slug: a.org, provider: 'GCP_SA', status: 'failed' },
          { org_slug: b.org, provider: 'AZURE', status: 'triggered' },
        ],
        [
          { org_slug: a.org, error: 'GCP_SA: 403' },
          { org_slug: b.org, error: 'other' },
        ],
        asText,
      );
      const runs = (await get(`/api/v1/pipelines/${a.org}/batch-runs`, a.key)).json().runs;
      const byId = (id: string) => runs.find((r: { batch_run_id: string }) => r.batch_run_id === id);
      expect(byId(own)).toMatchObject({
        results: [{ org_slug: a.org, provider: 'OPENAI', status: 'triggered' }],
        errors: ['OPENAI: slow'],
      });
      expect(byId(platform)).toMatchObject({
        results: [{ org_slug: a.org, provider: 'GCP_SA', status: 'failed' }],
        errors: [{ org_slug: a.org, error: 'GCP_SA: 403' }],
        status: 'PARTIAL',
        orgs_processed: 1,
        orgs_skipped: 0,
        pipelines_triggered: 0,
        pipelines_failed: 1,
        total_integrations: 1,
      });
      expect(JSON.stringify(runs)).not.toContain(b.org);
    });
  });

  describe('daily status', () => {
    it("reports today's (UTC) subscription-cost run, ignores other days and orgs, then serves it cached", async () => {
      const a = await anOrgWithKey(warehouse);
      const other = await anOrgWithKey(warehouse);
      const now = Date.now();
      const today = new Date(now).toISOString().slice(0, 10);
      await aRun(a.org, {
        start_time: new Date(Date.parse(`${today}T00:00:00Z`) - 1000),
        status: 'COMPLETED',
      });
      await aRun(a.org, { start_time: new Date(Date.parse(`${today}T00:00:01Z`)), status: 'FAILED' });
      await aRun(other.org, { start_time: new Date(now), status: 'COMPLETED' });
      const first = await get(`/api/v1/pipelines/status/${a.org}`, a.key);
      expect(first.json()).toEqual({
        org_slug: a.org,
        check_date: today,
        pipelines: {
          subscription_costs: {
            pipeline_id: 'subscription_costs',
            last_run: `${today}T00:00:01.000Z`,
            status: 'FAILED',
            ran_today: true,
            succeeded_today: false,
          },
        },
        cached: false,
      });
      const again = await get(`/api/v1/pipelines/status/${a.org}`, a.key);
      expect(again.json()).toEqual({ ...first.json(), cached: true });
      const nothing = await anOrgWithKey(warehouse);
      const empty = await get(`/api/v1/pipelines/status/${nothing.org}`, nothing.key);
      expect(empty.json().pipelines.subscription_costs).toEqual({
        pipeline_id: 'subscription_costs',
        last_run: null,
        status: null,
        ran_today: false,
        succeeded_today: false,
      });
    });
  });

  describe('access', () => {
    const routes = (org: string) =>
      [
        ['GET', `/api/v1/pipelines/status/${org}`],
        ['GET', `/api/v1/pipelines/${org}/runs`],
        ['GET', `/api/v1/pipelines/${org}/runs/r1`],
        ['GET', `/api/v1/pipelines/${org}/runs/r1/steps`],
        ['POST', `/api/v1/pipelines/${org}/runs/r1/retry`],
        ['GET', `/api/v1/pipelines/${org}/runs/r1/download?format=csv`],
        ['GET', `/api/v1/pipelines/${org}/runs/r1/transitions`],
        ['GET', `/api/v1/pipelines/${org}/batch-runs`],
      ] as const;

    it("refuses another org's key with 403 and a missing key with 401 on every route", async () => {
      const a = await anOrgWithKey(warehouse);
      const intruder = await anOrgWithKey(warehouse);
      for (const [method, url] of routes(a.org)) {
        const foreign = await t.app.inject({ method, url, headers: { 'x-api-key': intruder.key } });
        expect({ url, status: foreign.statusCode, code: foreign.json().code }).toEqual({
          url,
          status: 403,
          code: 'ORG_FORBIDDEN',
        });
        const anonymous = await t.app.inject({ method, url });
        expect({ url, status: anonymous.statusCode }).toEqual({ url, status: 401 });
      }
    });
  });
});
