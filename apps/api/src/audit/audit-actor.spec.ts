import type { FastifyRequest } from 'fastify';
import { auditActorFrom } from './audit-actor.js';

function aRequest(
  headers: Record<string, string>,
  auth?: FastifyRequest['auth'],
  ip = '10.0.0.7',
): FastifyRequest {
  // Only the fields auditActorFrom reads; a full Fastify request is not needed here.
  const rawHeaders = Object.entries(headers).flat();
  return { headers, raw: { rawHeaders }, id: 'req-1', ip, auth } as unknown as FastifyRequest;
}

describe('auditActorFrom', () => {
  it('takes the user from X-User-ID (trimmed), the key id from the org key and the request id', () => {
    const actor = auditActorFrom(
      aRequest(
        { 'x-user-id': '  user-42 ', 'user-agent': 'dashboard/1.0' },
        { kind: 'org', principal: { orgSlug: 'acme', apiKeyId: 'key-1', scopes: [], expiresAt: null } },
      ),
    );
    expect(actor).toEqual({
      apiKeyId: 'key-1',
      userId: 'user-42',
      requestId: 'req-1',
      ipAddress: '10.0.0.7',
      userAgent: 'dashboard/1.0',
    });
  });

  it('has no key id for the root key, no user for a blank or over-long X-User-ID, and a bounded user agent', () => {
    expect(auditActorFrom(aRequest({ 'x-user-id': '   ' }, { kind: 'root' }))).toMatchObject({
      apiKeyId: null,
      userId: null,
      userAgent: null,
    });
    const long = auditActorFrom(aRequest({ 'x-user-id': 'u'.repeat(256), 'user-agent': 'a'.repeat(2000) }));
    expect(long.userId).toBeNull();
    expect(long.userAgent).toHaveLength(512);
    expect(auditActorFrom(aRequest({ 'x-user-id': 'u'.repeat(255) })).userId).toHaveLength(255);
  });

  it('records no user for an X-User-ID with markup or control characters, and keeps quotes and non-ASCII', () => {
    for (const bad of ['<script>alert(1)</script>', 'a\u0007b', 'a\u009bb', 'x>y'])
      expect(auditActorFrom(aRequest({ 'x-user-id': bad })).userId, bad).toBeNull();
    for (const good of ["o'brien@example.com", 'auth0|5f7c8ec7', 'jos\u00e9@example.com'])
      expect(auditActorFrom(aRequest({ 'x-user-id': good })).userId).toBe(good);
  });

  it('records no address for an X-Forwarded-For entry that is not an IP address (a key, markup)', () => {
    // With TRUST_PROXY_HOPS set, Fastify's request.ip is the entry as sent, unchecked.
    for (const sent of [
      'org_api_4f9a2c7e1b3d5f6a8c0e2b4d6f8a0c1e',
      '<img src=x onerror=alert(1)>',
      'x'.repeat(8000),
    ])
      expect(auditActorFrom(aRequest({}, undefined, sent)).ipAddress, sent.slice(0, 30)).toBeNull();
    for (const ip of ['203.0.113.9', '2001:db8::1', '::ffff:10.0.0.7', 'fe80::1%eth0'])
      expect(auditActorFrom(aRequest({}, undefined, ip)).ipAddress).toBe(ip);
  });
});
