import { CircuitBreakers, CircuitOpenError } from './circuit-breakers.js';

/** A failure of the service itself (counted by the shared breaker) or of one tenant's run. */
const failure = (down: boolean) => Object.assign(new Error(down ? 'unreachable' : 'run failed'), { down });
const isDown = (err: unknown) => (err as { down?: boolean }).down === true;
/** What the service answered (a failure above): anything else is an error of our own. */
const isAnswer = (err: unknown) => typeof (err as { down?: boolean }).down === 'boolean';

describe('CircuitBreakers', () => {
  const breakers = new CircuitBreakers(
    { volumeThreshold: 1, errorThresholdPercentage: 1, rollingCountTimeoutMs: 60_000, resetTimeoutMs: 4_000 },
    isDown,
    isAnswer,
  );
  afterAll(() => breakers.shutdown());

  const refusal = async (tenant: string): Promise<CircuitOpenError> => {
    const err: unknown = await breakers
      .run('svc', tenant, () => Promise.resolve('ran'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    return err as CircuitOpenError;
  };

  it("names the wait of the breaker that refused: the tenant's own, though the shared one is open too", async () => {
    // The tenant's runs fail: its own breaker opens, the shared one does not count them.
    await expect(breakers.run('svc', 'acme', () => Promise.reject(failure(false)))).rejects.toThrow(
      'run failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Later, the service goes down for another tenant: the shared breaker opens, 4 s from now.
    await expect(breakers.run('svc', 'globex', () => Promise.reject(failure(true)))).rejects.toThrow(
      'unreachable',
    );

    // acme's own breaker refuses, and closes first: about 2.5 s left of its 4.
    expect((await refusal('acme')).retryAfterSeconds).toBe(3);
    // A tenant whose own breaker is closed meets the shared one.
    expect((await refusal('initech')).retryAfterSeconds).toBe(4);
  });

  it("keeps a half-open tenant breaker's trial for a real call while the shared one refuses", async () => {
    const RESET_MS = 600;
    const sleepUntil = (at: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    const own = new CircuitBreakers(
      {
        volumeThreshold: 3,
        errorThresholdPercentage: 50,
        rollingCountTimeoutMs: 60_000,
        resetTimeoutMs: RESET_MS,
      },
      isDown,
      isAnswer,
    );
    try {
      const ran = () => Promise.resolve('ran');
      // acme's runs fail: its own breaker opens.
      for (let i = 0; i < 3; i++)
        await expect(own.run('svc', 'acme', () => Promise.reject(failure(false)))).rejects.toThrow(
          'run failed',
        );
      const acmeOpened = Date.now();
      await expect(own.run('svc', 'acme', ran)).rejects.toBeInstanceOf(CircuitOpenError);
      // Later the service goes down: four other tenants' calls open the shared breaker.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const tenant of ['g1', 'g2', 'g3', 'g4'])
        await expect(own.run('svc', tenant, () => Promise.reject(failure(true)))).rejects.toThrow(
          'unreachable',
        );
      const sharedOpened = Date.now();
      await expect(own.run('svc', 'initech', ran)).rejects.toBeInstanceOf(CircuitOpenError);
      // acme's breaker is half-open, the shared one still open: acme's calls are refused by it,
      // and none of these refusals is acme's trial.
      await sleepUntil(acmeOpened + RESET_MS + 50);
      expect(Date.now()).toBeLessThan(sharedOpened + RESET_MS);
      for (let i = 0; i < 5; i++) {
        let called = false;
        const refused = await own.run('svc', 'acme', () => ((called = true), ran())).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(CircuitOpenError);
        expect(called).toBe(false);
      }
      // The service is back: another tenant's trial closes the shared breaker.
      await sleepUntil(sharedOpened + RESET_MS + 50);
      await expect(own.run('svc', 'initech', ran)).resolves.toBe('ran');
      // acme's trial is its next real call: it fails, so acme's breaker opens again at once.
      await expect(own.run('svc', 'acme', () => Promise.reject(failure(false)))).rejects.toThrow(
        'run failed',
      );
      await expect(own.run('svc', 'acme', ran)).rejects.toBeInstanceOf(CircuitOpenError);
    } finally {
      own.shutdown();
    }
  });

  describe('an error that is no answer of the service (one of our own)', () => {
    const RESET_MS = 300;
    const ours = () => Promise.reject(new TypeError('a bug of ours'));
    let shared: CircuitBreakers;
    beforeEach(() => {
      shared = new CircuitBreakers(
        {
          volumeThreshold: 1,
          errorThresholdPercentage: 1,
          rollingCountTimeoutMs: 60_000,
          resetTimeoutMs: RESET_MS,
        },
        isDown,
        isAnswer,
      );
    });
    afterEach(() => shared.shutdown());

    /** The shared breaker opened by the service being down, then half-open. */
    const halfOpen = async () => {
      await expect(shared.run('svc', 'g1', () => Promise.reject(failure(true)))).rejects.toThrow(
        'unreachable',
      );
      await expect(shared.run('svc', 'g2', () => Promise.resolve('ran'))).rejects.toBeInstanceOf(
        CircuitOpenError,
      );
      await new Promise((resolve) => setTimeout(resolve, RESET_MS + 50));
    };

    it('does not close a half-open shared breaker: it proves nothing of the service', async () => {
      await halfOpen();
      await expect(shared.run('svc', 't1', ours)).rejects.toThrow('a bug of ours');
      // Still not closed: another tenant's call is refused, not sent to the service.
      let called = false;
      const refused = await shared
        .run('svc', 't2', () => ((called = true), Promise.resolve('ran')))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect(called).toBe(false);
    });

    it("closes it on an answer of the service, even one tenant's failure (the service is up)", async () => {
      await halfOpen();
      await expect(shared.run('svc', 't1', () => Promise.reject(failure(false)))).rejects.toThrow(
        'run failed',
      );
      await expect(shared.run('svc', 't2', () => Promise.resolve('ran'))).resolves.toBe('ran');
    });

    it('does not open a closed shared breaker for the other tenants', async () => {
      await expect(shared.run('svc', 't1', ours)).rejects.toThrow('a bug of ours');
      await expect(shared.run('svc', 't2', () => Promise.resolve('ran'))).resolves.toBe('ran');
    });
  });
});
