import type { LRUCache } from 'lru-cache';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

/** The addresses the limiter holds, as it keys them. */
function heldKeys(limiter: AuthFailureLimiter): string[] {
  const inside = limiter as unknown as { windows: LRUCache<string, object>; early: Map<string, number> };
  return [...inside.windows.keys(), ...inside.early.keys()];
}

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

  it('admits early lookups while failures and lookups in flight stay under the limit', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.tryEarlyLookup('10.0.0.1'))).toEqual([true, true, true, false]);
    expect(limiter.tryEarlyLookup('10.0.0.2')).toBe(true);
    // Two end as failures, one as a valid key: one failure short of the limit, one may start.
    limiter.endEarlyLookup('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    limiter.endEarlyLookup('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    expect(limiter.tryEarlyLookup('10.0.0.1')).toBe(false);
    limiter.endEarlyLookup('10.0.0.1');
    expect(limiter.tryEarlyLookup('10.0.0.1')).toBe(true);
    limiter.endEarlyLookup('10.0.0.1');
    // Failures of a past minute no longer count.
    now += 61_000;
    expect([1, 2, 3].map(() => limiter.tryEarlyLookup('10.0.0.1'))).toEqual([true, true, true]);
  });

  it('keeps an address longer than an IP address can be (a made-up X-Forwarded-For) as its hash, still apart from the others', () => {
    const limiter = new AuthFailureLimiter(2, () => 1_000_000);
    const a = `a${'x'.repeat(8_000)}`;
    const b = `b${'x'.repeat(8_000)}`;
    limiter.recordFailure(a);
    limiter.recordFailure(a);
    expect(limiter.tryEarlyLookup(b)).toBe(true);
    expect(limiter.retryAfterSeconds(a)).toBe(60);
    expect(limiter.retryAfterSeconds(b)).toBe(0);
    // 16 KB of addresses held for a minute each, up to 100,000 of them, had they been kept as sent.
    const held = heldKeys(limiter);
    expect(held).toHaveLength(2);
    for (const key of held) expect(key.length).toBeLessThanOrEqual(64);
    limiter.endEarlyLookup(b);
    expect(heldKeys(limiter)).toHaveLength(1);
  });

  it('keeps an IP address as it is', () => {
    const limiter = new AuthFailureLimiter(2, () => 1_000_000);
    limiter.recordFailure('2001:db8:85a3:8d3:1319:8a2e:370:7348');
    limiter.recordFailure('::ffff:192.168.100.200');
    // An IPv6 client as its /64, an IPv4-mapped one as its IPv4 address (neither hashed).
    expect(heldKeys(limiter)).toEqual(['192.168.100.200', '2001:db8:85a3:8d3::/64']);
  });
});

describe('AuthFailureLimiter and IPv6', () => {
  it('counts the failures of one /64 together: a client cannot rotate through its prefix for more guesses', () => {
    const limiter = new AuthFailureLimiter(2, () => 1_000_000);
    limiter.recordFailure('2001:db8:1:2::1');
    limiter.recordFailure('2001:db8:1:2::2');
    expect(limiter.retryAfterSeconds('2001:db8:1:2::3')).toBe(60);
    expect(limiter.tryEarlyLookup('2001:db8:1:2:abcd::9')).toBe(false);
    expect(limiter.retryAfterSeconds('2001:db8:1:3::1')).toBe(0);
  });
});
