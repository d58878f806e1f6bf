import { CircuitBreakers, CircuitOpenError } from './circuit-breakers.js';

/** A failure of the service itself (counted by the shared breaker) or of one tenant's run. */
const failure = (down: boolean) => Object.assign(new Error(down ? 'unreachable' : 'run failed'), { down });

describe('CircuitBreakers', () => {
  const breakers = new CircuitBreakers(
    { volumeThreshold: 1, errorThresholdPercentage: 1, rollingCountTimeoutMs: 60_000, resetTimeoutMs: 4_000 },
    (err) => (err as { down?: boolean }).down === true,
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
});
