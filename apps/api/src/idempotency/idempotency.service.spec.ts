import type { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';

const HOUR_MS = 3_600_000;

function aRepository(prune: () => Promise<number>) {
  const calls = { prune: 0, complete: [] as unknown[] };
  const repo = {
    prune: () => {
      calls.prune++;
      return prune();
    },
    complete: (_claim: unknown, _status: number, body: unknown) => {
      calls.complete.push(body);
      return Promise.resolve(true);
    },
  } as unknown as IdempotencyRepository;
  return { repo, calls };
}

describe('IdempotencyService', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prunes on start and then every hour, and stops at shutdown', async () => {
    // Only the interval the service uses: the suite's files share their worker's process (isolate:
    // false), and a timeout another file's client left running (a reconnect loop) would be faked
    // too and fired through the four hours advanced here, each firing real work (timed out once).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { repo, calls } = aRepository(() => Promise.resolve(0));
    const service = new IdempotencyService(repo);
    service.onModuleInit();
    expect(calls.prune).toBe(1);
    await vi.advanceTimersByTimeAsync(HOUR_MS - 1);
    expect(calls.prune).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.prune).toBe(2);
    await service.onModuleDestroy();
    await vi.advanceTimersByTimeAsync(3 * HOUR_MS);
    expect(calls.prune).toBe(2);
  });

  it('survives a failing prune and waits for a running one at shutdown', async () => {
    let finish = (_n: number) => undefined as void;
    const { repo, calls } = aRepository(() => new Promise<number>((resolve) => (finish = resolve)));
    const failing = new IdempotencyService(
      aRepository(() => Promise.reject(new Error('database down'))).repo,
    );
    failing.onModuleInit();
    await expect(failing.onModuleDestroy()).resolves.toBeUndefined();

    const service = new IdempotencyService(repo);
    service.onModuleInit();
    let destroyed = false;
    const destroying = service.onModuleDestroy().then(() => (destroyed = true));
    await Promise.resolve();
    expect(destroyed).toBe(false);
    finish(3);
    await destroying;
    expect(destroyed).toBe(true);
    expect(calls.prune).toBe(1);
  });

  it('stores the response with its secrets redacted', async () => {
    const { repo, calls } = aRepository(() => Promise.resolve(0));
    const service = new IdempotencyService(repo);
    await service.complete({ scope: 'root', key: 'k', requestHash: 'h', token: 't' }, 201, {
      org_slug: 'acme',
      api_key: 'acme_api_secret',
    });
    expect(calls.complete).toEqual([{ org_slug: 'acme', api_key: '[redacted]' }]);
  });
});
