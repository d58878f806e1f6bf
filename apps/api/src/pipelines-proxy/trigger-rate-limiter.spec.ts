import type { AppConfig } from '#platform';
import { DEFAULT_PIPELINE_PROXY_OPTIONS } from './pipeline-proxy.options.js';
import { TriggerRateLimiter } from './trigger-rate-limiter.js';

describe('TriggerRateLimiter', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.parse('2026-12-05T12:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('says a refused trigger resets when its block ends, not when its window ends, and that none remain until then', async () => {
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
      // Still blocked while the hits it counts expire one by one (the one of 50 s has): nothing
      // remains until the block ends.
      vi.advanceTimersByTime(57_000);
      const stillRefused = await limiter.hit('acme');
      expect(stillRefused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 3 });
      expect(stillRefused.resetAt).toBe(start + 55 + 60);
      vi.advanceTimersByTime(4_000);
      expect(await limiter.hit('acme')).toMatchObject({ allowed: true });
    } finally {
      await limiter.onApplicationShutdown();
    }
  });
});
