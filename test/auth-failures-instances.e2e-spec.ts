import { randomBytes } from 'node:crypto';
import { API_KEY_LOOKUP, type ApiKeyLookup } from '#platform';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

const REDIS_URL = process.env.TEST_REDIS_URL;
const LIMIT = 3;

/** An address of this run alone: the windows of a previous run may still be in Redis. */
const anAddress = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
const madeUp = (i: number) =>
  `burst_org_api_madeup${randomBytes(6).toString('hex')}${String(i).padStart(4, '0')}`;

/**
 * AUTH_FAILURES_PER_MINUTE is a budget of the address, not of each instance: behind a load balancer
 * spreading a guesser's requests over N instances, N budgets a minute were N times the guesses.
 */
describe.skipIf(!REDIS_URL)('failed authentications of one address across instances (Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  const lookups = new Map<TestApp, number>();

  const start = async () => {
    const t = await startTestApp({
      REDIS_URL: REDIS_URL!,
      AUTH_FAILURES_PER_MINUTE: String(LIMIT),
      RATE_LIMIT_READS_PER_MINUTE: '100000',
    });
    const lookup = t.app.get<ApiKeyLookup>(API_KEY_LOOKUP);
    const find = lookup.findActiveByHash.bind(lookup);
    lookup.findActiveByHash = (hash) => {
      lookups.set(t, (lookups.get(t) ?? 0) + 1);
      return find(hash);
    };
    return t;
  };
  beforeAll(async () => {
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const read = (t: TestApp, org: string, key: string, remoteAddress: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
      remoteAddress,
    });
  const totalLookups = () => (lookups.get(a) ?? 0) + (lookups.get(b) ?? 0);

  it('refuses (429) on one instance the address whose keys failed the limit on another, without a lookup', async () => {
    const ip = anAddress();
    for (let i = 0; i < LIMIT; i++) expect((await read(a, 'burst_org', madeUp(i), ip)).statusCode).toBe(401);
    lookups.clear();
    const res = await read(b, 'burst_org', madeUp(LIMIT), ip);
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(totalLookups()).toBe(0);
  });

  it('looks up no more made-up keys than the limit when a burst is spread over the instances', async () => {
    const ip = anAddress();
    lookups.clear();
    const answers = await Promise.all(
      Array.from({ length: 8 * LIMIT }, (_, i) => read(i % 2 ? a : b, 'burst_org', madeUp(i), ip)),
    );
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7 * LIMIT);
    expect(totalLookups()).toBe(LIMIT);
  });

  it('lets every valid key of a burst through on both instances, more of them than the limit', async () => {
    const ip = anAddress();
    const onA = await Promise.all(
      Array.from({ length: 2 * LIMIT }, () => anOrgWithKey(a.app.get<Warehouse>(WAREHOUSE))),
    );
    const onB = await Promise.all(
      Array.from({ length: 2 * LIMIT }, () => anOrgWithKey(b.app.get<Warehouse>(WAREHOUSE))),
    );
    const answers = await Promise.all([
      ...onA.map(({ org, key }) => read(a, org, key, ip)),
      ...onB.map(({ org, key }) => read(b, org, key, ip)),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([...onA, ...onB].map(() => 200));
    // None of them failed: the address may still try a made-up key.
    expect((await read(b, 'burst_org', madeUp(0), ip)).statusCode).toBe(401);
  });
});
