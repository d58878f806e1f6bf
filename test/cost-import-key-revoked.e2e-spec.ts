import { hashApiKey } from '#platform';
import { CENTRAL_DATASET } from '#warehouse';
import { holdOrgLifecycle, importCalls, type ImportTarget, startImportApp } from '#test/cost-import-calls';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { rootHeaders } from '#test/test-app';

const CSV = { 'content-type': 'text/csv' };
const ASYNC_CSV = { ...CSV, prefer: 'respond-async' };
const aFile = (billedCost: string) => focusCsv([aFocusFileRow({ BilledCost: billedCost })]);

let target: ImportTarget;
const { upload, billed } = importCalls(() => target);

beforeAll(async () => {
  target = await startImportApp('impkey', 'Import Key Co');
}, 120_000);

afterAll(async () => {
  await target?.t.close();
});

/** The import's report once `settled` says its status has settled (the root key reads any org's). */
async function reportWhen(statusUrl: string, settled: (status: string) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await target.t.app.inject({ method: 'GET', url: statusUrl, headers: rootHeaders });
    const report = res.json<{ status: string; failure?: { code: string } | null }>();
    if (settled(report.status) || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('cost import: the key that started it', () => {
  it('replaces nothing when its org key is revoked before the swap, and says why', async () => {
    expect((await upload(aFile('5'), CSV, '?source_system=revoked_src')).statusCode).toBe(200);
    const { release } = await holdOrgLifecycle(target);
    let statusUrl: string;
    try {
      const started = await upload(aFile('7'), ASYNC_CSV, '?source_system=revoked_src');
      expect(started.statusCode, started.body).toBe(202);
      statusUrl = started.json().status_url;
      expect((await reportWhen(statusUrl, (s) => s !== 'queued')).status).toBe('processing');

      // Revoked as another instance would (the revoke route waits for the org's lifecycle lease,
      // held here to keep the import before its swap).
      await target.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_api_keys\` SET is_active = FALSE WHERE org_api_key_hash = @hash`,
        { hash: hashApiKey(target.key) },
      );
    } finally {
      release();
    }

    const report = await reportWhen(statusUrl, (s) => s !== 'processing');
    expect(report).toMatchObject({ status: 'failed', failure: { code: 'COST_IMPORT_KEY_REVOKED' } });
    expect(await billed('revoked_src')).toEqual({ n: 1, billed: 5 });
  });
});
