import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Module } from '@nestjs/common';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { aKey, aTag, IdempotencyProbeModule, IdempotencyProbeRuns } from '#test/idempotency-probe.module';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { IdempotencyRepository } from '../apps/api/src/idempotency/idempotency.repository.js';
import { IDEMPOTENCY_TIMING, IdempotencyService } from '../apps/api/src/idempotency/idempotency.service.js';

/** Claims locked for 2 s and renewed every 400 ms, so a request can outlast its lock in a test. */
@Global()
@Module({
  providers: [{ provide: IDEMPOTENCY_TIMING, useValue: { lockSeconds: 2, renewEveryMs: 400 } }],
  exports: [IDEMPOTENCY_TIMING],
})
class ShortClaimLocks {}

describe('Idempotency-Key claims of requests that outlast the lock', () => {
  let t: TestApp;
  let runs: IdempotencyProbeRuns;
  let db: TenancyDb;

  beforeAll(async () => {
    t = await startTestApp({}, { imports: [IdempotencyProbeModule, ShortClaimLocks] });
    runs = t.app.get(IdempotencyProbeRuns);
    db = t.app.get<TenancyDb>(TENANCY_DB);
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  const run = (key: string, payload: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/idem-probe/acme_corp/runs',
      headers: { ...rootHeaders, 'idempotency-key': key },
      payload,
    });

  it('keeps the claim while the handler runs: a retry waits (409), then gets the first answer replayed', async () => {
    const key = aKey();
    const tag = aTag('slow');
    const first = run(key, { tag, delay_ms: 4_500 });
    // Well past the 2 s lock: only the renewals keep the key this request's.
    await sleep(3_000);
    const retry = await run(key, { tag, delay_ms: 4_500 });
    expect(retry.statusCode).toBe(409);
    expect(retry.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS' });
    expect((await first).statusCode).toBe(201);

    const [row] = await db.select('idempotency_keys', { scope: 'root', idempotency_key: key });
    expect(row).toMatchObject({ state: 'completed', response_status: 201, locked_until: null });
    const after = await run(key, { tag, delay_ms: 4_500 });
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.json()).toMatchObject({ tag, run: 1 });
    expect(runs.count(tag)).toBe(1);
  });

  it('stops renewing as soon as the handler is done, when it fails too', async () => {
    const renew = vi.spyOn(t.app.get(IdempotencyRepository), 'renew');
    const res = await run(aKey(), { tag: aTag('crash'), delay_ms: 1_000, fail: 'crash' });
    expect(res.statusCode).toBe(500);
    expect(renew).toHaveBeenCalled();
    const calls = renew.mock.calls.length;
    await sleep(1_000);
    expect(renew.mock.calls.length).toBe(calls);
  });

  it('lets the claim lapse once no instance renews it (a crashed one): the same request takes it over', async () => {
    const service = t.app.get(IdempotencyService);
    const claim = { scope: 'root', key: aKey(), requestHash: 'h-lapse', token: randomUUID() };
    expect(await service.claim({ ...claim, orgSlug: null })).toEqual({ outcome: 'claimed' });
    const release = service.hold(claim);
    await sleep(2_600);
    const retry = { ...claim, token: randomUUID() };
    expect(await service.claim({ ...retry, orgSlug: null })).toEqual({ outcome: 'in_flight' });
    release();
    await sleep(3_000);
    expect(await service.claim({ ...retry, orgSlug: null })).toEqual({ outcome: 'claimed' });
    // The first attempt, back after its claim was taken over, can neither release the retry's
    // claim (a third attempt would then run beside the retry) nor store its own answer.
    expect(await service.release(claim)).toBe(false);
    expect(await service.complete(claim, 200, { from: 'first' })).toBe(false);
    expect(await service.claim({ ...claim, token: randomUUID(), orgSlug: null })).toEqual({
      outcome: 'in_flight',
    });
    expect(await service.complete(retry, 200, { from: 'retry' })).toBe(true);
    expect(await service.claim({ ...claim, token: randomUUID(), orgSlug: null })).toEqual({
      outcome: 'replay',
      status: 200,
      body: { from: 'retry' },
    });
  });
});
