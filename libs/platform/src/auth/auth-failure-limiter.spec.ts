import { AuthFailureLimiter } from './auth-failure-limiter.js';

describe('AuthFailureLimiter', () => {
  it('refuses an IP for the rest of its minute once it failed the limit, other IPs not', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(2, () => now);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    now += 20_000;
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(40);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 39_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1);
    // A new minute starts from nothing.
    now += 1_000;
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });
});
