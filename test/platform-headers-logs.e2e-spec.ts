import { anOrgWithKey } from '#test/org-factory';
import { PROBE_SECRET_IN_ERROR } from '#test/probe.module';
import { PROBLEM, platformApp } from '#test/platform-app';
import { rootHeaders, TEST_ROOT_KEY } from '#test/test-app';

describe('platform over the real app', () => {
  const p = platformApp();
  beforeAll(() => p.start());
  afterAll(() => p.close());
  const { inject, logs } = p;

  describe('bad input', () => {
    it('hides internals of an unexpected error and logs them scrubbed with the request id', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/boom',
        headers: { 'x-request-id': 'boom-1' },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        type: 'https://errors.finops-api.dev/internal-error',
        title: 'Internal server error',
        status: 500,
        detail: 'An unexpected error occurred.',
        code: 'INTERNAL_ERROR',
        request_id: 'boom-1',
        instance: '/api/v1/probe/boom',
      });
      const line = logs.lines.find(
        (l) => l.includes('"request_id":"boom-1"') && l.includes('request failed'),
      );
      expect(line).toBeDefined();
      expect(line).toContain('postgres://svc:[REDACTED]@db.internal');
      // What Cloud Logging reads: an error it can filter and alert on, with its summary line.
      expect(JSON.parse(line as string)).toMatchObject({ severity: 'ERROR', message: 'request failed' });
    });

    it('logs a 5xx given by design (a breaker open, shutting down) at warn, without a stack', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/unavailable',
        headers: { 'x-request-id': 'by-design-1' },
      });
      expect(res.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      const lines = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'by-design-1');
      expect(lines.find((l) => l.message === 'request refused')).toMatchObject({
        severity: 'WARNING',
        code: 'SERVICE_UNAVAILABLE',
        status: 503,
      });
      expect(lines.some((l) => l.severity === 'ERROR' || 'err' in l)).toBe(false);
    });
  });

  describe('headers and logs', () => {
    it('echoes a sane X-Request-ID and replaces an unsafe one', async () => {
      const sane = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
      expect(sane.headers['x-request-id']).toBe('abc-123');
      const unsafe = await inject({
        method: 'GET',
        url: '/health',
        headers: { 'x-request-id': 'x\ny<script>' },
      });
      expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('replaces an X-Request-ID that holds a key, and logs no trace of it', async () => {
      for (const key of [TEST_ROOT_KEY, 'acme_org_api_Abcdefghijklmnop0123456789']) {
        const res = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': key } });
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(logs.text).not.toContain(key);
      }
    });

    it('sets security headers (no HSTS outside production)', async () => {
      const res = await inject({ method: 'GET', url: '/health' });
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('keeps the document-only security headers to /docs, where a browser renders a page', async () => {
      const data = await inject({ method: 'GET', url: '/health' });
      expect(data.headers['origin-agent-cluster']).toBeUndefined();
      expect(data.headers['cross-origin-opener-policy']).toBeUndefined();
      expect(data.headers['cross-origin-resource-policy']).toBe('same-origin');
      const docs = await inject({ method: 'GET', url: '/docs' });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers['origin-agent-cluster']).toBe('?1');
      expect(docs.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(docs.headers['x-frame-options']).toBe('DENY');
      expect(String(docs.headers['content-security-policy'])).toContain("script-src 'self'");
    });

    it('names the release and the processing time on every response, errors included', async () => {
      const health = await inject({ method: 'GET', url: '/health' });
      const missing = await inject({ method: 'GET', url: '/api/v1/no-such-route' });
      for (const res of [health, missing]) {
        expect(res.headers['x-api-version']).toBe(health.json<{ version: string }>().version);
        expect(String(res.headers['x-process-time'])).toMatch(/^\d+\.\d{4}$/);
      }
      expect(missing.statusCode).toBe(404);
    });

    it('answers CORS preflight for the dashboard origin with the headers it sends', async () => {
      const res = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-api-key,idempotency-key',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      for (const h of [
        'X-API-Key',
        'X-CA-Root-Key',
        'X-User-ID',
        'X-Request-ID',
        'Idempotency-Key',
        'Prefer',
      ])
        expect(String(res.headers['access-control-allow-headers'])).toContain(h);
      // A dashboard page reads where to poll its 202 import.
      const actual = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(String(actual.headers['access-control-expose-headers']).split(',')).toContain('Location');
      const foreign = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers a plain OPTIONS (not a preflight) with Allow, or a 404 problem+json for an unknown path', async () => {
      for (const headers of [{}, { origin: 'http://localhost:3000' }]) {
        const res = await inject({ method: 'OPTIONS', url: '/api/v1/admin/bootstrap/status', headers });
        expect(res.statusCode).toBe(204);
        expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
        expect(res.headers['x-request-id']).toBeDefined();
        expect(res.headers.vary).toBe('Origin');
        expect(res.body).toBe('');
      }
      // From a page (an actual request after its preflight): readable by the dashboard's origin only.
      const fromDashboard = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(fromDashboard.headers).toMatchObject({
        'access-control-allow-origin': 'http://localhost:3000',
        'access-control-allow-credentials': 'true',
      });
      expect(String(fromDashboard.headers['access-control-expose-headers'])).toContain('X-Request-ID');
      const foreign = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
      const health = await inject({ method: 'OPTIONS', url: '/health?probe=1' });
      expect([health.statusCode, health.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
      const unknown = await inject({ method: 'OPTIONS', url: '/api/v1/no-such-route' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toBe(PROBLEM);
      expect(unknown.json()).toMatchObject({
        code: 'NOT_FOUND',
        request_id: unknown.headers['x-request-id'],
      });
    });

    it('varies by Origin without CORS headers on a request without one, and allows only listed origins', async () => {
      const plain = await inject({ method: 'GET', url: '/health' });
      expect(plain.headers.vary).toBe('Origin');
      expect(Object.keys(plain.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const dashboard = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(dashboard.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(dashboard.headers['access-control-allow-credentials']).toBe('true');
      const exposed = String(dashboard.headers['access-control-expose-headers']).split(/\s*,\s*/);
      expect(exposed).toContain('Idempotent-Replayed');
      // What the named limits send, so a dashboard page can read its remaining budget.
      expect(exposed).toEqual(
        expect.arrayContaining([
          'X-RateLimit-Remaining-reads',
          'X-RateLimit-Reset-writes',
          'Retry-After-admin',
        ]),
      );
      expect(dashboard.headers.vary).toBe('Origin');
    });

    it('writes access lines of probes at debug and of other routes at info', async () => {
      await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'probe-1' } });
      await inject({ method: 'GET', url: '/api/v1/nope?x=1', headers: { 'x-request-id': 'api-1' } });
      const line = (id: string) =>
        logs.lines
          .map((l) => JSON.parse(l))
          .find((l) => l.request_id === id && l.message === 'request completed');
      expect(line('probe-1')).toMatchObject({
        level: 'debug',
        severity: 'DEBUG',
        route: '/health',
        path: '/health',
        status: 200,
      });
      expect(line('api-1')).toMatchObject({
        level: 'info',
        severity: 'INFO',
        route: '(unmatched)',
        path: '/api/v1/nope',
        status: 404,
      });
    });

    it('logs one structured line per request and never a key', async () => {
      const k = await anOrgWithKey(p.warehouse);
      await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${k.org}`,
        headers: { 'x-api-key': k.key, 'x-request-id': 'log-1' },
      });
      await inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: { ...rootHeaders, authorization: 'Bearer tok_abcdef123456' },
      });
      const line = logs.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.request_id === 'log-1' && l.message === 'request completed');
      expect(line).toMatchObject({ route: '/api/v1/probe/org/:org', status: 200, org: k.org, method: 'GET' });
      expect(typeof line.latency_ms).toBe('number');
      for (const secret of [k.key, TEST_ROOT_KEY, PROBE_SECRET_IN_ERROR, 'tok_abcdef123456'])
        expect(logs.text).not.toContain(secret);
    });

    it('logs the org a refused cross-tenant call came from and the one it named, and the org a root call named', async () => {
      const mine = await anOrgWithKey(p.warehouse);
      const theirs = await anOrgWithKey(p.warehouse);
      const refused = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${theirs.org}`,
        headers: { 'x-api-key': mine.key, 'x-request-id': 'log-cross' },
      });
      expect(refused.statusCode).toBe(403);
      await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${theirs.org}`,
        headers: { ...rootHeaders, 'x-request-id': 'log-root' },
      });
      const lineOf = (id: string) =>
        logs.lines
          .map((l) => JSON.parse(l))
          .find((l) => l.request_id === id && l.message === 'request completed');
      expect(lineOf('log-cross')).toMatchObject({
        status: 403,
        org: mine.org,
        target_org: theirs.org,
        caller: 'org',
      });
      expect(lineOf('log-root')).toMatchObject({ status: 200, target_org: theirs.org, caller: 'root' });
      // Only a key's own org is logged as `org`: the path's is the caller's word.
      expect(lineOf('log-root').org).toBeUndefined();
    });
  });
});
