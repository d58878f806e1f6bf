import { randomUUID } from 'node:crypto';
import { anOrgWithKey } from '#test/org-factory';
import { pipelineLogsApp } from '#test/pipeline-logs-app';

describe('pipeline logs: downloads, batch runs, daily status and access', () => {
  // Runs with no end time and no caller, as the downloads suite writes them.
  const suite = pipelineLogsApp(() => ({ duration_ms: 1200 }));
  const { insert, get, aRun } = suite;

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

  describe('batch runs', () => {
    it("shows the org's batches and platform-wide ones with only the org's own entries", async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const b = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
      const b = await anOrgWithKey(suite.warehouse);
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
        // An org with an error entry is one run-all skipped (its key could not be read).
        orgs_processed: 0,
        orgs_skipped: 1,
        pipelines_triggered: 0,
        pipelines_failed: 1,
        total_integrations: 1,
      });
      expect(JSON.stringify(runs)).not.toContain(b.org);
    });
  });

  describe('daily status', () => {
    it("reports today's (UTC) subscription-cost run, ignores other days and orgs, then serves it cached", async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const other = await anOrgWithKey(suite.warehouse);
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
      const nothing = await anOrgWithKey(suite.warehouse);
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
      const a = await anOrgWithKey(suite.warehouse);
      const intruder = await anOrgWithKey(suite.warehouse);
      for (const [method, url] of routes(a.org)) {
        const foreign = await suite.t.app.inject({ method, url, headers: { 'x-api-key': intruder.key } });
        expect({ url, status: foreign.statusCode, code: foreign.json().code }).toEqual({
          url,
          status: 403,
          code: 'ORG_FORBIDDEN',
        });
        const anonymous = await suite.t.app.inject({ method, url });
        expect({ url, status: anonymous.statusCode }).toEqual({ url, status: 401 });
      }
    });
  });
});
