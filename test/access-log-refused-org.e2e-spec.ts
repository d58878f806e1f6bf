import { WAREHOUSE, type Warehouse } from '#warehouse';
import { LogCapture } from '#test/log-capture';
import { anOrgWithKey } from '#test/org-factory';
import { ProbeModule } from '#test/probe.module';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** The test server's port (an ephemeral one, set once it listens). */
let PORT = 0;

// An SRE following a cross-tenant attempt reads the caller's org (its key's, never the key) in
// every line of it: the refusals that come before the auth guard (the rate limits) included.
describe('the access line of an org key refused before its guard admits it', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp(
      { LOG_LEVEL: 'info', RATE_LIMIT_READS_PER_MINUTE: '2' },
      { imports: [ProbeModule], logDestination: logs },
    );
    PORT = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  const lineOf = (id: string) =>
    logs.entries((l) => l.includes(`"request_id":"${id}"`) && l.includes('request completed'));

  const get = (path: string, key: string, id: string) =>
    fetch(`http://127.0.0.1:${PORT}${path}`, { headers: { 'x-api-key': key, 'x-request-id': id } });

  it('names the org of a valid key in the line of its 429, on another org path or its own', async () => {
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const mine = await anOrgWithKey(warehouse);
    const theirs = await anOrgWithKey(warehouse);
    expect((await get(`/api/v1/probe/org/${mine.org}`, mine.key, 'rl-1')).status).toBe(200);
    expect((await get(`/api/v1/probe/org/${theirs.org}`, mine.key, 'rl-2')).status).toBe(403);
    expect((await get(`/api/v1/probe/org/${theirs.org}`, mine.key, 'rl-3')).status).toBe(429);
    expect((await get(`/api/v1/probe/org/${mine.org}`, mine.key, 'rl-4')).status).toBe(429);
    await until(() => lineOf('rl-4').length > 0);

    expect(lineOf('rl-2')[0]).toMatchObject({ status: 403, org: mine.org, target_org: theirs.org });
    expect(lineOf('rl-3')[0]).toMatchObject({
      status: 429,
      org: mine.org,
      target_org: theirs.org,
      caller: 'org',
    });
    expect(lineOf('rl-4')[0]).toMatchObject({ status: 429, org: mine.org, target_org: mine.org });
    expect(logs.text).not.toContain(mine.key);
  });

  it('names no org for a key that is not valid', async () => {
    const theirs = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const res = await get(
      `/api/v1/probe/org/${theirs.org}`,
      `${theirs.org}_api_made_up_0123456789abcdef`,
      'bad-1',
    );
    expect(res.status).toBe(401);
    await until(() => lineOf('bad-1').length > 0);
    expect(lineOf('bad-1')[0].org).toBeUndefined();
    expect(lineOf('bad-1')[0].caller).toBeUndefined();
  });
});
