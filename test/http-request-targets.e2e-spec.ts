import net, { type AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '#test/test-app';

const PROBLEM = 'application/problem+json; charset=utf-8';
/** The API's policy, and what only the Swagger UI's own pages need on top of it. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const DOCS_SCRIPTS = "script-src 'self' 'unsafe-inline'";

/** A raw exchange (inject normalizes the request target): status line, headers, body. */
interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Request targets outside the routes' own: the asterisk-form `OPTIONS *` asks about the server as
 * a whole (RFC 9110 §9.3.7), any other `*` target is invalid (RFC 9112 §3.2), and a NUL in a
 * `/docs` path names no file, nor does a dot-dot one; each was answered with what contradicted the
 * rest (a 405 whose Allow listed OPTIONS, a 404, a 403 of the static file server).
 */
describe('request targets the routes do not name', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  async function exchange(requestLine: string, extra = ''): Promise<Exchange> {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`${requestLine}\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`),
      );
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    const [head, body = ''] = text.split('\r\n\r\n');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  it('answers OPTIONS * with 204 and the methods of the server, with the headers of any answer', async () => {
    const res = await exchange('OPTIONS * HTTP/1.1');
    expect(res.status).toBe(204);
    // Every method some route takes (this API has no PATCH route), and OPTIONS.
    expect(res.headers.allow?.split(', ').sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'OPTIONS',
      'POST',
      'PUT',
    ]);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe('');
  });

  it.each(['GET *', 'HEAD *', 'GET *health', 'POST *health', 'OPTIONS *health'])(
    'answers a target neither a path nor an absolute URL (%s) 400 problem+json, with the headers of any answer',
    async (methodAndTarget) => {
      const res = await exchange(`${methodAndTarget} HTTP/1.1`, 'Content-Length: 0\r\n');
      // RFC 9112 §3.2: an invalid request-target is a 400, as Node's parser answers `GET health`.
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.headers.allow).toBeUndefined();
      expect(res.headers['x-request-id']).toBeDefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      if (!methodAndTarget.startsWith('HEAD'))
        expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    },
  );

  it('still routes a target in absolute-form (RFC 9112 §3.2.2), 404 for an unknown path', async () => {
    expect((await exchange('GET http://localhost/health HTTP/1.1')).status).toBe(200);
    const unknown = await exchange('GET http://localhost/nope HTTP/1.1');
    expect([unknown.status, JSON.parse(unknown.body).code]).toEqual([404, 'NOT_FOUND']);
  });

  it.each(['/docs/%00', '/docs/a%00b', '/docs/swagger-ui.css%00'])(
    'answers a NUL in a docs path (%s) 404 problem+json, like an unknown path',
    async (path) => {
      const res = await exchange(`GET ${path} HTTP/1.1`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      const injected = await t.app.inject({ method: 'GET', url: path });
      expect([injected.statusCode, injected.json().code]).toEqual([404, 'NOT_FOUND']);
    },
  );

  it.each([
    '/docs/..',
    '/docs/%2e%2e',
    '/docs/.%2E',
    '/docs/../health',
    '/docs/x/../swagger-ui.css',
    '/docs/%2e%2e/%2e%2e/package.json',
    '/docs/../../../../etc/passwd',
    '/docs/..%5c..%5cpackage.json',
    '/docs/./swagger-ui.css',
    '/docs//swagger-ui.css',
  ])(
    'answers a docs path with a dot-dot, dot or empty segment (%s) 404 problem+json, serving nothing',
    async (path) => {
      // Raw: inject (and any client) would resolve the dot segments before sending.
      const res = await exchange(`GET ${path} HTTP/1.1`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.headers['x-request-id']).toBeDefined();
      expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    },
  );

  it.each(['/docsfoo', '/docs-anything', '/docs.json', '/docs%00', '/docsfoo/swagger-ui.css'])(
    'answers %s, which only begins like /docs, 404 problem+json with the API’s strict CSP, like an unknown path',
    async (path) => {
      // The Swagger UI's relaxed policy (its scripts and inline styles) is for its own pages only.
      for (const res of [
        await exchange(`GET ${path} HTTP/1.1`),
        await exchange(`GET ${path}?x=1 HTTP/1.1`),
      ]) {
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toBe(PROBLEM);
        expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
        expect(res.headers['content-security-policy']).toBe(API_CSP);
        expect(res.headers['origin-agent-cluster']).toBeUndefined();
      }
    },
  );

  it.each(['/docs', '/docs/', '/docs?x=1', '/docs/?x=1'])(
    'serves the docs page at %s with its own CSP',
    async (path) => {
      const res = await exchange(`GET ${path} HTTP/1.1`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toContain(DOCS_SCRIPTS);
      expect(res.headers['origin-agent-cluster']).toBe('?1');
    },
  );

  it('still serves the docs and answers OPTIONS on a path with its Allow', async () => {
    expect((await exchange('GET /docs HTTP/1.1')).status).toBe(200);
    const options = await exchange('OPTIONS /health HTTP/1.1');
    expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
  });
});
