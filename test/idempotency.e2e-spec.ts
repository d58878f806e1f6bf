import { randomBytes } from 'node:crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import {
  aKey,
  aTag,
  IdempotencyProbeModule,
  IdempotencyProbeRuns,
  PROBE_API_KEY,
} from '#test/idempotency-probe.module';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { IdempotencyService } from '../apps/api/src/idempotency/idempotency.service.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('Idempotency-Key on an @Idempotent() route', () => {
  let t: TestApp;
  let runs: IdempotencyProbeRuns;
  let db: TenancyDb;
  let org: string;
  let orgKey: string;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_WRITES_PER_MINUTE: '10000', RATE_LIMIT_ADMIN_PER_MINUTE: '10000' },
      { imports: [IdempotencyProbeModule] },
    );
    runs = t.app.get(IdempotencyProbeRuns);
    db = t.app.get<TenancyDb>(TENANCY_DB);
    ({ org, key: orgKey } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE)));
  });
  afterAll(() => t.close());

  const orgHeaders = () => ({ 'x-api-key': orgKey });
  const post = (
    path: string,
    payload: Record<string, unknown>,
    key?: string,
    auth: Record<string, string> = rootHeaders,
  ) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/idem-probe/${path}`,
      headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload,
    });

  it('replays the first response with secrets redacted, and runs the handler once', async () => {
    const key = aKey();
    const tag = aTag('replay');
    const first = await post(`${org}/runs`, { tag, amount: 12.5 }, key, orgHeaders());
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const original = first.json();
    expect(original).toMatchObject({ org, tag, run: 1, caller: 'org', amount: 12.5, api_key: PROBE_API_KEY });

    const again = await post(`${org}/runs`, { amount: 12.5, tag }, key, orgHeaders());
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    expect(again.json()).toEqual({
      ...original,
      api_key: '[redacted]',
      connection: { credentials: '[redacted]', host: 'db.example' },
      items: [{ token: '[redacted]', token_type: 'bearer' }],
    });
    expect(runs.count(tag)).toBe(1);
  });

  it('refuses the same key for a different body with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = aKey();
    const tag = aTag('reuse');
    expect((await post(`${org}/runs`, { tag, amount: 1 }, key)).statusCode).toBe(201);
    const res = await post(`${org}/runs`, { tag, amount: 2 }, key);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(runs.count(tag)).toBe(1);
  });

  it('refuses the same key for another path (another org) with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = aKey();
    const tag = aTag('path');
    expect((await post(`${org}/runs`, { tag }, key)).statusCode).toBe(201);
    const res = await post(`other_org/runs`, { tag }, key);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('runs 20 concurrent identical requests once; the others get 409 with Retry-After or the replay', async () => {
    const key = aKey();
    const tag = aTag('concurrent');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(`${org}/runs`, { tag, delay_ms: 300 }, key)),
    );
    expect(runs.count(tag)).toBe(1);
    const executed = responses.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed']);
    expect(executed).toHaveLength(1);
    for (const r of responses.filter((x) => x !== executed[0])) {
      if (r.statusCode === 409) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS', retry_after_seconds: 1 });
      } else {
        expect(r.statusCode).toBe(201);
        expect(r.headers['idempotent-replayed']).toBe('true');
        expect(r.json().run).toBe(1);
      }
    }
    const after = await post(`${org}/runs`, { tag, delay_ms: 300 }, key);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.json()).toMatchObject({ tag, run: 1, api_key: '[redacted]' });
  });

  it('does not store a 500: a retry runs the handler again', async () => {
    const key = aKey();
    const tag = aTag('crash');
    const first = await post(`${org}/runs`, { tag, fail: 'crash' }, key);
    expect(first.statusCode).toBe(500);
    const retry = await post(`${org}/runs`, { tag, fail: 'crash' }, key);
    expect(retry.statusCode).toBe(500);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(runs.count(tag)).toBe(2);
    expect(await db.select('idempotency_keys', { scope: 'root', idempotency_key: key })).toEqual([]);
  });

  it('does not store an answer that asks to be retried (Retry-After): the retry runs again', async () => {
    const key = aKey();
    const tag = aTag('busy');
    const first = await post(`${org}/runs`, { tag, fail: 'busy' }, key);
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('5');
    const retry = await post(`${org}/runs`, { tag, fail: 'busy' }, key);
    expect(retry.statusCode).toBe(429);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(runs.count(tag)).toBe(2);
    expect(await db.select('idempotency_keys', { scope: 'root', idempotency_key: key })).toEqual([]);
  });

  it('does not store a request refused by validation: the same key with corrected fields runs', async () => {
    const key = aKey();
    const tag = aTag('fixed');
    const refused = await post(`${org}/runs`, { tag: '' }, key);
    expect(refused.statusCode).toBe(422);
    expect(await db.select('idempotency_keys', { scope: 'root', idempotency_key: key })).toEqual([]);
    const fixed = await post(`${org}/runs`, { tag }, key);
    expect(fixed.statusCode).toBe(201);
    expect(runs.count(tag)).toBe(1);
    // From then on the key is the corrected request's.
    expect((await post(`${org}/runs`, { tag }, key)).headers['idempotent-replayed']).toBe('true');
  });

  it('refuses a body validation refuses for its shape before fingerprinting or claiming it', async () => {
    const onboard = (payload: string, key: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/organizations/onboard',
        headers: { ...rootHeaders, 'idempotency-key': key, 'content-type': 'application/json' },
        payload,
      });
    // Nested far past the limit: the fingerprint's recursion would overflow the stack (a 500).
    const deepKey = aKey();
    const deep = await onboard(`{"org_slug":${'['.repeat(5000)}${']'.repeat(5000)}}`, deepKey);
    expect([deep.statusCode, deep.json().code]).toEqual([422, 'VALIDATION_FAILED']);
    // A NUL in the org slug: never recorded by the claim (PostgreSQL refuses it, a 500); released.
    const nulKey = aKey();
    const nul = await onboard(
      JSON.stringify({ org_slug: 'a\u0000b', company_name: 'QA', admin_email: 'qa@example.com' }),
      nulKey,
    );
    expect([nul.statusCode, nul.json().errors?.[0]?.field]).toEqual([422, 'org_slug']);
    for (const key of [deepKey, nulKey])
      expect(await db.select('idempotency_keys', { scope: 'root', idempotency_key: key })).toEqual([]);
  });

  it('replays a 4xx domain error as the same problem+json', async () => {
    const key = aKey();
    const tag = aTag('refuse');
    const first = await post(`${org}/runs`, { tag, fail: 'refuse' }, key);
    expect(first.statusCode).toBe(400);
    expect(first.json()).toMatchObject({ code: 'BAD_REQUEST', detail: `The probe refused run 1 of ${tag}.` });
    const retry = await post(`${org}/runs`, { tag, fail: 'refuse' }, key);
    expect(retry.statusCode).toBe(400);
    expect(retry.headers['content-type']).toBe(PROBLEM);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(runs.count(tag)).toBe(1);
  });

  it('keeps the root key and an org key apart under the same key', async () => {
    const key = aKey();
    const tag = aTag('scopes');
    const asRoot = await post(`${org}/runs`, { tag }, key, rootHeaders);
    const asOrg = await post(`${org}/runs`, { tag }, key, orgHeaders());
    expect([asRoot.statusCode, asOrg.statusCode]).toEqual([201, 201]);
    expect(asRoot.headers['idempotent-replayed']).toBeUndefined();
    expect(asOrg.headers['idempotent-replayed']).toBeUndefined();
    expect([asRoot.json().caller, asOrg.json().caller]).toEqual(['root', 'org']);
    expect(runs.count(tag)).toBe(2);

    const rootAgain = await post(`${org}/runs`, { tag }, key, rootHeaders);
    expect(rootAgain.headers['idempotent-replayed']).toBe('true');
    expect(rootAgain.json()).toMatchObject({ caller: 'root', run: 1 });
    const rows = await db.select(
      'idempotency_keys',
      { idempotency_key: key },
      { columns: ['scope', 'org_slug', 'state'], orderBy: [{ column: 'scope' }] },
    );
    expect(rows).toEqual([
      { scope: `org:${org}`, org_slug: org, state: 'completed' },
      { scope: 'root', org_slug: org, state: 'completed' },
    ]);
  });

  it('refuses an empty or over-long key with 422 naming Idempotency-Key, and accepts 255 characters', async () => {
    const tag = aTag('length');
    for (const bad of ['', 'k'.repeat(256)]) {
      const res = await post(`${org}/runs`, { tag }, bad);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'Idempotency-Key', message: expect.stringContaining('1 to 255') }],
      });
    }
    expect(runs.count(tag)).toBe(0);
    const longest = `${aKey()}-`.padEnd(255, 'x');
    expect((await post(`${org}/runs`, { tag }, longest)).statusCode).toBe(201);
    expect((await post(`${org}/runs`, { tag }, longest)).headers['idempotent-replayed']).toBe('true');
    expect(runs.count(tag)).toBe(1);
  });

  it('runs every request without the header', async () => {
    const tag = aTag('no-key');
    await post(`${org}/runs`, { tag });
    const second = await post(`${org}/runs`, { tag });
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().run).toBe(2);
  });

  it('records the org named by orgSlugFrom, and deleteForOrg lets the key run again', async () => {
    const key = aKey();
    const tag = aTag('onboard');
    const target = `target_${randomBytes(3).toString('hex')}`;
    expect((await post('onboard', { tag, org_slug: target }, key)).json()).toEqual({
      org_slug: target,
      run: 1,
    });
    const [row] = await db.select('idempotency_keys', { scope: 'root', idempotency_key: key });
    expect(row).toMatchObject({ org_slug: target, response_status: 201 });

    expect(await t.app.get(IdempotencyService).deleteForOrg(target)).toBe(1);
    const after = await post('onboard', { tag, org_slug: target }, key);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    expect(after.json()).toEqual({ org_slug: target, run: 2 });
  });

  it('answers an onboarding whose org_slug is no slug (a long one) with the 422, not a 500 from its claim', async () => {
    const key = aKey();
    // Incompressible and past the 2704 bytes a btree index entry (idempotency_keys.org_slug) holds.
    const slug = randomBytes(6000).toString('base64');
    const body = { org_slug: slug, company_name: 'Acme', admin_email: 'admin@acme.example' };
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/organizations/onboard',
        headers: { ...rootHeaders, 'idempotency-key': key },
        payload: body,
      });
    const res = await send();
    expect({ status: res.statusCode, code: res.json().code }).toEqual({
      status: 422,
      code: 'VALIDATION_FAILED',
    });
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'org_slug' })]);
    // Refused by validation, so not stored: the key is free again.
    expect(await db.select('idempotency_keys', { scope: 'root', idempotency_key: key })).toEqual([]);
    expect((await send()).statusCode).toBe(422);
  });

  it('streams a non-JSON body untouched and does not store it', async () => {
    const key = aKey();
    const tag = aTag('stream');
    const first = await post(`${org}/export`, { tag }, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-type']).toMatch(/^text\/csv/);
    expect(first.body).toBe(`org,run\n${org},1\n`);
    const retry = await post(`${org}/export`, { tag }, key);
    expect(retry.body).toBe(`org,run\n${org},2\n`);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('fails a key on an unauthenticated route rather than share responses between strangers', async () => {
    const tag = aTag('public');
    expect((await post('public', { tag }, undefined, {})).statusCode).toBe(201);
    const res = await post('public', { tag }, aKey(), {});
    expect(res.statusCode).toBe(500);
    expect(runs.count(tag)).toBe(1);
  });
});
