import { importTargetForAll, startImportApp } from '#test/cost-import-calls';
import { anOrgWithKey } from '#test/org-factory';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp } from '#test/test-app';
import { aFocusFileRow, focusCsv, gzip } from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };

const target = importTargetForAll(() => startImportApp('imp', 'Import Co', {}, { smallLimits: false }));
const { upload, billed: totals } = target;

describe('POST /api/v1/admin/organizations/:org/costs/import', () => {
  it('leaves one copy when the same file is imported twice', async () => {
    const file = focusCsv([
      aFocusFileRow({ BilledCost: '5' }),
      aFocusFileRow({ BilledCost: '6', day: '2025-03-02' }),
    ]);
    await upload(file, CSV, '?source_system=twice');
    const again = await upload(file, CSV, '?source_system=twice');

    expect(again.json()).toMatchObject({ status: 'completed', rows_imported: 2, rows_replaced: 2 });
    expect(await totals('twice')).toEqual({ n: 2, billed: 11 });
  });

  it('replaces only the charge days and the source system the file covers', async () => {
    await upload(
      focusCsv([aFocusFileRow({ BilledCost: '1', day: '2025-04-01' })]),
      CSV,
      '?source_system=slice_a',
    );
    await upload(
      focusCsv([aFocusFileRow({ BilledCost: '2', day: '2025-04-02' })]),
      CSV,
      '?source_system=slice_a',
    );
    await upload(
      focusCsv([aFocusFileRow({ BilledCost: '4', day: '2025-04-01' })]),
      CSV,
      '?source_system=slice_b',
    );
    const replaced = await upload(
      focusCsv([aFocusFileRow({ BilledCost: '8', day: '2025-04-01' })]),
      CSV,
      '?source_system=slice_a',
    );

    expect(replaced.json()).toMatchObject({
      rows_replaced: 1,
      charge_period: { start: '2025-04-01', end: '2025-04-02' },
    });
    expect(await totals('slice_a')).toEqual({ n: 2, billed: 10 });
    expect(await totals('slice_b')).toEqual({ n: 1, billed: 4 });
  });

  it('keeps two accounts of one source system apart when the import names its credential', async () => {
    const day = (billed: string) => focusCsv([aFocusFileRow({ BilledCost: billed, day: '2025-05-01' })]);
    await upload(day('1'), CSV, '?source_system=slice_c&credential_id=payer-1');
    await upload(day('2'), CSV, '?source_system=slice_c&credential_id=payer-2');
    expect(await totals('slice_c')).toEqual({ n: 2, billed: 3 });
    // A re-import of payer-1 replaces payer-1's day only.
    const again = await upload(day('5'), CSV, '?source_system=slice_c&credential_id=payer-1');
    expect(again.json()).toMatchObject({ rows_replaced: 1, credential_id: 'payer-1' });
    expect(await totals('slice_c')).toEqual({ n: 2, billed: 7 });
    // Without a credential, the import stands for the whole source system's days.
    const whole = await upload(day('11'), CSV, '?source_system=slice_c');
    expect(whole.json()).toMatchObject({ rows_replaced: 2, credential_id: 'focus_import' });
    expect(await totals('slice_c')).toEqual({ n: 1, billed: 11 });
  });

  it('answers 202 with Prefer: respond-async and reports the outcome at the status URL', async () => {
    const res = await upload(
      focusCsv([aFocusFileRow({ BilledCost: '9' })]),
      { ...CSV, prefer: 'respond-async' },
      '?source_system=async_src',
    );

    expect(res.statusCode).toBe(202);
    const { import_id, status_url } = res.json<{ import_id: string; status_url: string }>();
    expect(res.headers.location).toBe(status_url);
    expect(status_url).toBe(`/api/v1/admin/organizations/${target.org}/costs/import/${import_id}`);
    let report: { status: string; rows_imported?: number } = { status: 'queued' };
    for (let i = 0; i < 100 && ['queued', 'processing'].includes(report.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      report = (
        await target.t.app.inject({ method: 'GET', url: status_url, headers: { 'x-api-key': target.key } })
      ).json();
    }
    expect(report).toMatchObject({ status: 'completed', rows_imported: 1 });
    expect(await totals('async_src')).toEqual({ n: 1, billed: 9 });
  });

  it("invalidates the org's cached cost reads when an import completes", async (ctx) => {
    const read = () =>
      target.t.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${target.org}/total?start_date=2025-05-01&end_date=2025-05-31`,
        headers: { 'x-api-key': target.key },
      });
    const before = await read();
    // The cost routes are another module; without them there is no cache to invalidate.
    if (before.statusCode === 404 && before.json().code === 'NOT_FOUND') ctx.skip();
    expect((await read()).json()).toMatchObject({ cache_hit: true });

    await upload(
      focusCsv([aFocusFileRow({ BilledCost: '20', day: '2025-05-10' })]),
      CSV,
      '?source_system=cloud_aws_billing',
    );
    const after = (await read()).json();

    expect(after.cache_hit).toBe(false);
    expect(after.cloud.total_billed_cost).toBe(before.json().cloud.total_billed_cost + 20);
  });

  it('documents the raw-body media types and both answers in the OpenAPI document', async () => {
    const doc = (await target.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/api/v1/admin/organizations/{org}/costs/import'].post;

    expect(Object.keys(post.requestBody.content)).toEqual(
      expect.arrayContaining(['text/csv', 'application/vnd.apache.parquet', 'application/gzip']),
    );
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '202']));
    expect(doc.paths['/api/v1/admin/organizations/{org}/costs/import/{id}'].get).toBeDefined();
  });

  it('accepts the root key for any org', async () => {
    const res = await target.t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${target.org}/costs/import?source_system=by_root`,
      headers: { ...rootHeaders, ...CSV },
      payload: focusCsv([aFocusFileRow()]),
    });

    expect(res.statusCode).toBe(200);
    expect(await totals('by_root')).toEqual({ n: 1, billed: 10.5 });
  });

  it("refuses another org's key (403) and a key without org:write (403)", async () => {
    const other = await anOrgWithKey(target.warehouse);
    const readOnly = await anOrgWithKey(target.warehouse, { org: target.org, scopes: ['org:read'] });
    const payload = focusCsv([aFocusFileRow()]);
    const url = `/api/v1/admin/organizations/${target.org}/costs/import`;

    const foreign = await target.t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': other.key, ...CSV },
      payload,
    });
    const scoped = await target.t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': readOnly.key, ...CSV },
      payload,
    });

    expect(foreign.json()).toMatchObject({ status: 403, code: 'ORG_FORBIDDEN' });
    expect(scoped.json()).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE' });
  });

  it('answers 404 for an org without a cost table and for an unknown import id', async () => {
    const bare = await anOrgWithKey(target.warehouse);
    const noTable = await target.t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${bare.org}/costs/import`,
      headers: { 'x-api-key': bare.key, ...CSV },
      payload: focusCsv([aFocusFileRow()]),
    });
    const unknown = await target.t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/organizations/${target.org}/costs/import/00000000-0000-4000-8000-000000000000`,
      headers: { 'x-api-key': target.key },
    });

    expect(noTable.json()).toMatchObject({ status: 404, code: 'COST_IMPORT_ORG_NOT_PROVISIONED' });
    expect(unknown.json()).toMatchObject({ status: 404, code: 'COST_IMPORT_NOT_FOUND' });
  });
});

describe('a compressed file that expands past the synchronous limit', () => {
  it('is imported in the background (202), like a large upload', async () => {
    const small = await startTestApp({ COST_IMPORT_SYNC_MAX_BYTES: '100000' });
    try {
      const { org: o, key: k } = await onboardOrg(small, 'impgz', 'Gzip Co');
      const rows = Array.from({ length: 2_000 }, () => aFocusFileRow({ BilledCost: '1' }));
      const csv = focusCsv(rows);
      const packed = gzip(csv);
      // Small on the wire, large to import.
      expect(packed.length).toBeLessThan(100_000);
      expect(csv.length).toBeGreaterThan(100_000);
      const res = await small.app.inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${o}/costs/import?source_system=gz_big`,
        headers: { 'x-api-key': k, 'content-type': 'application/gzip' },
        payload: packed,
      });
      expect(res.statusCode, res.body).toBe(202);
    } finally {
      await small.close();
    }
  });
});
