import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { OpenApiContract } from '#test/openapi-contract';
import { anOrgWithKey } from '#test/org-factory';
import { pipelineLogsApp } from '#test/pipeline-logs-app';

describe('pipeline logs: downloads, batch runs, daily status and access', () => {
  // Runs with no end time and no caller: their downloads show both columns empty.
  const suite = pipelineLogsApp(() => ({ duration_ms: 1200 }));
  const { base, insert, get, aRun } = suite;

  describe('download', () => {
    it('sends the run detail as a JSON attachment', async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const runId = await aRun(a.org);
      const res = await get(`/api/v1/pipelines/${a.org}/runs/${runId}/download?format=json`, a.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="pipeline_run_${runId}.json"`);
      const detail = await get(`/api/v1/pipelines/${a.org}/runs/${runId}`, a.key);
      expect(JSON.parse(res.body)).toEqual(detail.json());
    });

    it('sends the bodies and media types its OpenAPI entry documents, JSON checked strictly', async () => {
      const a = await anOrgWithKey(suite.warehouse);
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
        (await suite.t.app.inject({ method: 'GET', url: '/openapi.json' })).json(),
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
      const a = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
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
});
