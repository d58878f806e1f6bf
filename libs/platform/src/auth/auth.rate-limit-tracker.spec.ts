import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import type { ApiKeyCache } from './api-key-cache.js';
import { AuthService } from './auth.guards.js';

function authService(): AuthService {
  const config = { env: { AUTH_FAILURES_PER_MINUTE: 60 }, rootApiKey: undefined } as unknown as AppConfig;
  const keys = { known: () => undefined } as unknown as ApiKeyCache;
  return new AuthService(config, keys, new Reflector());
}

const requestFrom = (ip: string) => ({ headers: {}, ip }) as unknown as FastifyRequest;

describe('AuthService.rateLimitTracker of a request without a known key', () => {
  it('is its IP address', () => {
    expect(authService().rateLimitTracker(requestFrom('203.0.113.7'))).toBe('ip:203.0.113.7');
  });

  it('is the hash of an address longer than an IP address can be, each apart (the rate limits keep it for their window)', () => {
    const auth = authService();
    const a = auth.rateLimitTracker(requestFrom(`a${'x'.repeat(8_000)}`));
    const b = auth.rateLimitTracker(requestFrom(`b${'x'.repeat(8_000)}`));
    expect(a).not.toBe(b);
    // 20,000 requests under made-up 8 KB addresses held 158 MB of rate-limit keys for their minute.
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b).toMatch(/^ip:sha256:[\w-]{43}$/);
  });
});

describe('AuthService.rateLimitTracker of a request from an IPv6 address', () => {
  it('is its /64: one subscriber holds the whole prefix and could otherwise take a new address, and a fresh limit, per request', () => {
    const auth = authService();
    const a = auth.rateLimitTracker(requestFrom('2001:db8:85a3:1:0:0:0:1'));
    expect(a).toBe('ip:2001:db8:85a3:1::/64');
    for (const same of [
      '2001:db8:85a3:1::2',
      '2001:DB8:85A3:0001:ffff:ffff:ffff:ffff',
      '2001:db8:85a3:1::7%eth0',
    ])
      expect(auth.rateLimitTracker(requestFrom(same))).toBe(a);
    expect(auth.rateLimitTracker(requestFrom('2001:db8:85a3:2::1'))).toBe('ip:2001:db8:85a3:2::/64');
    expect(auth.rateLimitTracker(requestFrom('::1'))).toBe('ip:0:0:0:0::/64');
  });

  it('is the IPv4 address of an IPv4-mapped one (a dual-stack listener), never a prefix of all IPv4 clients', () => {
    const auth = authService();
    expect(auth.rateLimitTracker(requestFrom('::ffff:203.0.113.7'))).toBe('ip:203.0.113.7');
    expect(auth.rateLimitTracker(requestFrom('::ffff:203.0.113.8'))).toBe('ip:203.0.113.8');
  });

  it('keeps text that is no address as it is (an X-Forwarded-For entry past the trusted proxies)', () => {
    expect(authService().rateLimitTracker(requestFrom('not:an:address'))).toBe('ip:not:an:address');
  });
});
