import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { NO_LIMITS, onboardOrg } from '#test/org-onboarding';
import { type Replicas, rootHeaders, startReplicas, type TestApp } from '#test/test-app';

interface Report {
  import_id: string;
  status: string;
  rows_imported: number;
  started_at: string | null;
  finished_at: string | null;
}

const FINISHED = new Set(['completed', 'completed_with_errors', 'failed']);

/** A month of rows, enough for an import to take a moment. */
const file = () =>
  focusCsv(
    Array.from({ length: 3_000 }, (_, i) =>
      aFocusFileRow({ BilledCost: '1.25', day: `2025-03-${String((i % 28) + 1).padStart(2, '0')}` }),
    ),
  );

/**
 * Two API instances on one PostgreSQL schema, as two replicas behind a load balancer: an import's
 * report is answered by either, and one org's imports take turns across them.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('cost imports across two instances', () => {
  let replicas: Replicas;
  let apps: TestApp[] = [];
  let org: string;
  let key: string;

  beforeAll(async () => {
    replicas = await startReplicas(NO_LIMITS);
    apps = replicas.apps;
    ({ org, key } = await onboardOrg(apps[0], 'imp2', 'Replica Co'));
    // The second instance's warehouse gets the org's profile and key, and its dataset and tables.
    await replicas.shareOrg(org);
    const repaired = await apps[1].app.inject({
      method: 'POST',
      url: `/api/v1/${org}/repair-tables`,
      headers: rootHeaders,
    });
    expect(repaired.statusCode).toBe(200);
  }, 120_000);

  afterAll(() => replicas?.close());

  const start = async (i: number, source: string): Promise<Report> => {
    const res = await apps[i].app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/costs/import?source_system=${source}`,
      headers: { 'x-api-key': key, 'content-type': 'text/csv', prefer: 'respond-async' },
      payload: file(),
    });
    expect(res.statusCode).toBe(202);
    return res.json<Report>();
  };
  const report = async (i: number, id: string): Promise<Report> => {
    const res = await apps[i].app.inject({
      method: 'GET',
      url: `/api/v1/admin/organizations/${org}/costs/import/${id}`,
      headers: { 'x-api-key': key },
    });
    expect(res.statusCode).toBe(200);
    return res.json<Report>();
  };
  const finished = async (i: number, id: string): Promise<Report> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await report(i, id);
      if (FINISHED.has(r.status) || Date.now() > deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('answers for an import on the instance that did not receive it', async () => {
    const started = await start(0, 'replica_a');
    const seen = await finished(1, started.import_id);
    expect(seen).toMatchObject({ status: 'completed', rows_imported: 3_000 });
    expect(await report(0, started.import_id)).toEqual(seen);
  });

  it("runs one org's imports one after the other, whichever instance received them", async () => {
    const [x, y] = await Promise.all([start(0, 'replica_x'), start(1, 'replica_y')]);
    const done = await Promise.all([finished(1, x.import_id), finished(0, y.import_id)]);
    expect(done.map((r) => r.status)).toEqual(['completed', 'completed']);
    const [first, second] = [...done].sort((p, q) => Date.parse(p.started_at!) - Date.parse(q.started_at!));
    expect(Date.parse(second.started_at!)).toBeGreaterThanOrEqual(Date.parse(first.finished_at!));
  });
});
