import type { AppConfig } from '#platform';
import { DEFAULT_PIPELINE_PROXY_OPTIONS } from './pipeline-proxy.options.js';
import { TriggerRateLimiter } from './trigger-rate-limiter.js';

describe('TriggerRateLimiter', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.parse('2026-12-05T12:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('says a refused trigger resets when its block ends, not when the window it started in ends', async () => {
    const limiter = new TriggerRateLimiter(null, { environment: 'development' } as AppConfig, {
      ...DEFAULT_PIPELINE_PROXY_OPTIONS,
      triggerLimitPerMinute: 2,
    });
    try {
      const start = Date.now() / 1000;
      expect((await limiter.hit('acme')).allowed).toBe(true);
      vi.advanceTimersByTime(50_000);
      expect((await limiter.hit('acme')).allowed).toBe(true);
      vi.advanceTimersByTime(5_000);
      // The third in the window that started at `start`: refused, and blocked for a minute.
      const refused = await limiter.hit('acme');
      expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
      expect(refused.resetAt).toBe(start + 55 + 60);
    } finally {
      await limiter.onApplicationShutdown();
    }
  });
});
