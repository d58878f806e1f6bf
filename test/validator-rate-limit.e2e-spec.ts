import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { countLookups, startTestApp, type TestApp } from '#test/test-app';

/** The pipeline service's calls count against their own per-key limit, not the shared writes limit. */
describe('pipeline validator rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '2', RATE_LIMIT_PIPELINE_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it("counts the pipeline service's calls against their own limit, its completions apart from its starts", async () => {
    const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    await t.app.get<TenancyDb>(TENANCY_DB).insert('organizations', [
      {
        org_slug: k.org,
        company_name: 'Acme',
        concurrent_pipelines_limit: 10,
        pipelines_per_day_limit: 100,
      },
    ]);
    // The key reads its org's quota (a read: the pipeline limit is not touched).
    const warm = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: { 'x-api-key': k.key },
    });
    expect(warm.statusCode).toBe(200);
    const call = (route: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/${route}/${k.org}`,
        headers: { 'x-api-key': k.key },
        payload,
      });

    // Past the writes limit (2): the pipeline limit (5) counts them.
    const reservations: string[] = [];
    for (let run = 1; run <= 5; run++) {
      const v = await call('validate', {
        pipeline_id: 'subscription_costs',
        pipeline_logging_id: `run-${run}`,
      });
      expect(v.statusCode).toBe(200);
      reservations.push(v.json().reservation_id as string);
    }
    const past = await call('validate', { pipeline_id: 'subscription_costs', pipeline_logging_id: 'run-6' });
    expect(past.statusCode).toBe(429);
    expect(past.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 5 });
    expect(Number(past.headers['retry-after'])).toBeGreaterThan(0);
    // A burst of starts never refuses the completions and heartbeats that settle runs and free
    // their slots: they have a bucket of their own, of the same size.
    const heartbeat = await call('heartbeat', { reservation_id: reservations[0] });
    expect(heartbeat.statusCode).toBe(200);
    for (const id of reservations.slice(0, 4)) {
      const c = await call('complete', { pipeline_status: 'SUCCESS', reservation_id: id });
      expect(c.statusCode).toBe(200);
    }
    const sixth = await call('complete', { pipeline_status: 'SUCCESS', reservation_id: reservations[4] });
    expect(sixth.statusCode).toBe(429);
  });

  it('limits calls with made-up keys too, per client IP, looking them up no more than its failures allow', async () => {
    // An app of its own: the IP's reads bucket starts empty.
    const fresh = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '5', AUTH_FAILURES_PER_MINUTE: '6' });
    try {
      const lookups = countLookups(fresh);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push(
          (
            await fresh.app.inject({
              method: 'GET',
              url: '/api/v1/organizations/acme_corp/quota',
              headers: { 'x-api-key': `acme_corp_api_guess_${i}_${Math.random().toString(36).slice(2)}` },
            })
          ).statusCode,
        );
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      // Each key is looked up before the rate limit counts it (so a valid key's first request is
      // counted against the key), within the failures its address may have: a flood of made-up
      // keys reaches the warehouse at that rate, the seventh refused by the IP's limit unlooked up.
      expect(lookups()).toBe(6);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a made-up key before its body is read, and looks keys up no faster than failures are allowed', async () => {
    const fresh = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      const lookups = countLookups(fresh);
      const answers: [number, string][] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fresh.app.inject({
          method: 'POST',
          url: '/api/v1/validator/validate/acme_corp',
          headers: {
            'x-api-key': `acme_corp_api_guess_${i}_${Math.random().toString(36).slice(2)}`,
            'content-type': 'application/json',
          },
          // Malformed: a 400 had it been parsed.
          payload: '{"pipeline_id":',
        });
        answers.push([res.statusCode, res.json().code]);
      }
      expect(answers).toEqual([
        ...Array(3).fill([401, 'API_KEY_INVALID']),
        ...Array(3).fill([429, 'RATE_LIMITED']),
      ]);
      expect(lookups()).toBe(3);
    } finally {
      await fresh.close();
    }
  });

  it('looks up no more made-up keys sent at once than the failures and the rate limit allow', async () => {
    const fresh = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PIPELINE_PER_MINUTE: '5' });
    try {
      const lookups = countLookups(fresh);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fresh.app.inject({
            method: 'POST',
            url: '/api/v1/validator/validate/acme_corp',
            headers: { 'x-api-key': `acme_corp_api_burst_${i}_${Math.random().toString(36).slice(2)}` },
            payload: { pipeline_id: 'subscription_costs' },
          }),
        ),
      );
      expect(new Set(answers.map((r) => r.statusCode))).toEqual(new Set([401, 429]));
      // 3 looked up before their bodies (the failures allowed), the rest after the IP's rate limit (5).
      expect(lookups()).toBeLessThanOrEqual(3 + 5);
    } finally {
      await fresh.close();
    }
  });

  it('stops looking keys up for a client whose keys keep failing, and only for keys it does not hold yet', async () => {
    const fresh = await startTestApp({
      AUTH_FAILURES_PER_MINUTE: '3',
      RATE_LIMIT_PIPELINE_PER_MINUTE: '1000',
    });
    try {
      const k = await anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE));
      const keyInfo = (key: string) =>
        fresh.app.inject({
          method: 'GET',
          url: `/api/v1/organizations/${k.org}/api-key`,
          headers: { 'x-api-key': key },
        });
      // A key in use before the guessing starts.
      expect((await keyInfo(k.key)).statusCode).toBe(200);
      const lookups = countLookups(fresh);
      const guesses: number[] = [];
      for (let i = 0; i < 6; i++)
        guesses.push(
          (await keyInfo(`${k.org}_api_guess_${i}_${Math.random().toString(36).slice(2)}`)).statusCode,
        );
      expect(guesses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(lookups()).toBe(3);
      const refused = await keyInfo('another-guess');
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 3 });
      expect(refused.json().detail).toMatch(/^Rate limit of 3 failed authentications from this address/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // The key the client already holds still works.
      expect((await keyInfo(k.key)).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('does not count one stale key sent again and again against the other keys of its address', async () => {
    const fresh = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      const warehouse = fresh.app.get<Warehouse>(WAREHOUSE);
      const [a, b] = [await anOrgWithKey(warehouse), await anOrgWithKey(warehouse)];
      const lookups = countLookups(fresh);
      const keyInfo = (org: string, key: string) =>
        fresh.app.inject({
          method: 'GET',
          url: `/api/v1/organizations/${org}/api-key`,
          headers: { 'x-api-key': key },
        });
      // A scheduler still sending org A's revoked key, over and over.
      const stale = `${a.org}_api_revokedrevokedrevokedrevoked12`;
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await keyInfo(a.org, stale)).statusCode);
      expect(statuses).toEqual(Array(10).fill(401));
      expect(lookups()).toBe(1);
      // Org B's key, new to this instance, from the same address: looked up and admitted.
      expect((await keyInfo(b.org, b.key)).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
