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
