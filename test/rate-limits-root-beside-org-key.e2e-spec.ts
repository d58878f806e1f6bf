import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { ProbeModule } from '#test/probe.module';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * The pipeline service sends the root key beside the org key (validate with include_credentials):
 * on a route the org key decides, the request still counts against that org key's limits, not one
 * bucket of the root key shared by every org.
 */
describe('the root key sent beside an org key, on a route the org key decides', { timeout: 90_000 }, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_PIPELINE_PER_MINUTE: '2', RATE_LIMIT_READS_PER_MINUTE: '2' },
      { imports: [ProbeModule] },
    );
  });
  afterAll(() => t?.close());

  it("counts each org's validate calls against its own key, not one limit for every org", async () => {
    const w = t.app.get<Warehouse>(WAREHOUSE);
    const [a, b] = [await anOrgWithKey(w), await anOrgWithKey(w)];
    const validate = (org: { org: string; key: string }) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${org.org}`,
        headers: { ...rootHeaders, 'x-api-key': org.key },
        // Refused by validation (422) once admitted: the rate limit counts it first.
        payload: {},
      });
    expect((await validate(a)).statusCode).toBe(422);
    expect((await validate(a)).statusCode).toBe(422);
    expect((await validate(a)).statusCode).toBe(429);
    // Another org's first call: its own limit, untouched by a's.
    const other = await validate(b);
    expect([other.statusCode, other.json().code]).toEqual([422, 'VALIDATION_FAILED']);
  });

  it("counts each org's reads against its own key on an org-only GET", async () => {
    const w = t.app.get<Warehouse>(WAREHOUSE);
    const [a, b] = [await anOrgWithKey(w), await anOrgWithKey(w)];
    const read = (org: { org: string; key: string }) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/probe/org/${org.org}`,
        headers: { ...rootHeaders, 'x-api-key': org.key },
      });
    expect((await read(a)).statusCode).toBe(200);
    expect((await read(a)).statusCode).toBe(200);
    expect((await read(a)).statusCode).toBe(429);
    const other = await read(b);
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-remaining-reads']).toBe('1');
  });
});
