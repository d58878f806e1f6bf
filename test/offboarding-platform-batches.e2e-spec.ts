import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET, central } from '#warehouse';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { rootHeaders } from '#test/test-app';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';

type Entry = { org_slug?: string; [k: string]: unknown };

/**
 * A platform-wide run-all batch names every org it touched in its results and errors: offboarding
 * an org removes its entries from those records, and leaves every other org's.
 */
describe('offboarding and the platform-wide batch records', () => {
  const s = pipelineServiceAppForAll({
    retryDelaysMs: [20],
    breaker: { volumeThreshold: 10_000 },
  });

  /** An org whose active key has a stored copy, as onboarding leaves it, with one integration. */
  async function anOrg(provider: string, stored = true) {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: !stored });
    if (stored) await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, [provider]);
    return org;
  }
  const batch = async (id: string) => {
    const [row] = await s.warehouse.query<{ results: unknown; errors: unknown; [k: string]: unknown }>(
      `SELECT * FROM ${central('org_meta_pipeline_batch_runs')} WHERE batch_run_id = @id`,
      { id },
    );
    const list = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Entry[];
    const read: Record<string, unknown> & { results: Entry[]; errors: Entry[] } = {
      ...row,
      results: list(row.results),
      errors: list(row.errors),
    };
    return read;
  };
  const orgsIn = (entries: Entry[]) => [...new Set(entries.map((e) => e.org_slug))].sort();
  const offboard = (org: string) =>
    s.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/organizations/${org}`,
      headers: rootHeaders,
      payload: { confirm_org_slug: org },
    });

  it("removes the offboarded org's results and errors from a run-all batch, and keeps the other org's", async () => {
    const a = await anOrg('AZURE');
    const b = await anOrg('DEEPSEEK');
    // No stored key copy: run-all records an error entry for it.
    const keyless = await anOrg('GEMINI', false);
    const run = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all',
      headers: rootHeaders,
      payload: {},
    });
    expect(run.statusCode, run.body).toBe(200);
    const id = run.json().batch_run_id as string;
    const before = await batch(id);
    expect(before.org_slug).toBe('ALL');
    expect(orgsIn(before.results)).toEqual(expect.arrayContaining([a, b]));
    expect(orgsIn(before.errors)).toContain(keyless);

    for (const org of [a, keyless]) expect((await offboard(org)).statusCode).toBe(200);

    const after = await batch(id);
    expect(orgsIn([...after.results, ...after.errors])).not.toContain(a);
    expect(orgsIn([...after.results, ...after.errors])).not.toContain(keyless);
    // Everything else as it was, in its order.
    const others = (entries: Entry[]) => entries.filter((e) => e.org_slug !== a && e.org_slug !== keyless);
    expect(after.results).toEqual(others(before.results));
    expect(after.errors).toEqual(others(before.errors));
    expect(after.results).toContainEqual(expect.objectContaining({ org_slug: b, provider: 'DEEPSEEK' }));
    expect(after).toMatchObject({ pipelines_triggered: before.pipelines_triggered, status: before.status });
  });

  it('also removes them from a platform-wide batch stored with its entries as JSON text', async () => {
    const a = await anOrg('OPENAI');
    const b = await anOrg('AZURE');
    const results = [
      { org_slug: a, provider: 'OPENAI', status: 'triggered' },
      'an unattributed entry',
      { org_slug: b, provider: 'AZURE', status: 'failed' },
    ];
    const errors = [{ org_slug: a, error: 'slow' }];
    // The driver takes a string as JSON text: quoted once more, it is stored as a JSON string.
    const asText = (entries: unknown[]) => JSON.stringify(JSON.stringify(entries));
    const id = await platformBatch(asText(results), asText(errors));
    // A batch whose errors are NULL and whose results name the org: its errors stay NULL.
    const withoutErrors = await platformBatch(asText(results), null);
    expect((await offboard(a)).statusCode).toBe(200);
    expect(await batch(id)).toMatchObject({ results: results.slice(1), errors: [] });
    const [kept] = await s.warehouse.query<{ errors: unknown }>(
      `SELECT errors FROM ${central('org_meta_pipeline_batch_runs')} WHERE batch_run_id = @id`,
      { id: withoutErrors },
    );
    expect(kept.errors).toBeNull();
  });

  /** A platform-wide batch record written as the replaced system stored them; its id. */
  async function platformBatch(results: string, errors: string | null): Promise<string> {
    const id = randomUUID();
    const at = new Date();
    await s.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_batch_runs' }, [
      {
        batch_run_id: id,
        org_slug: 'ALL',
        trigger_type: 'SCHEDULED',
        status: 'PARTIAL',
        run_date: at.toISOString().slice(0, 10),
        dry_run: false,
        orgs_processed: 2,
        orgs_skipped: 0,
        pipelines_triggered: 1,
        pipelines_failed: 1,
        pipelines_skipped_quota: 0,
        total_integrations: 2,
        results,
        errors,
        elapsed_seconds: 1,
        triggered_at: at,
        completed_at: at,
        created_at: at,
      },
    ]);
    return id;
  }
});
