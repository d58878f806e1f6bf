import net, { type AddressInfo } from 'node:net';
import { PROBLEM, platformApp } from '#test/platform-app';
import { ProbeModule } from '#test/probe.module';
import { rootHeaders, startTestApp } from '#test/test-app';

describe('platform over the real app', () => {
  const p = platformApp();
  beforeAll(() => p.start());
  afterAll(() => p.close());
  const { inject, logs } = p;

  describe('bad input', () => {
    it('takes path parameters of up to 1024 characters, and answers a longer one 414 as problem+json', async () => {
      const long = await inject({ method: 'GET', url: `/api/v1/probe/org/${'a'.repeat(1024)}` });
      expect(long.statusCode).toBe(401);
      const tooLong = await inject({ method: 'GET', url: `/api/v1/probe/org/${'a'.repeat(1025)}` });
      expect(tooLong.statusCode).toBe(414);
      expect(tooLong.headers['content-type']).toBe(PROBLEM);
      expect(tooLong.headers['x-frame-options']).toBe('DENY');
      expect(tooLong.headers['x-api-version']).toBeDefined();
      expect(String(tooLong.headers['x-process-time'])).toMatch(/^\d+\.\d{4}$/);
      expect(tooLong.json()).toMatchObject({
        code: 'URI_TOO_LONG',
        status: 414,
        request_id: tooLong.headers['x-request-id'],
      });
      expect(tooLong.json().detail).not.toContain('aaaa');
      // A dashboard page can read it: the router's errors carry CORS headers too.
      const fromDashboard = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${'a'.repeat(1025)}`,
        headers: { origin: 'http://localhost:3000' },
      });
      expect(fromDashboard.statusCode).toBe(414);
      expect(fromDashboard.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(fromDashboard.headers.vary).toBe('Origin');
    });

    it('closes a connection idle for CONNECTION_IDLE_TIMEOUT_MS (Fastify would wait for a body forever)', async () => {
      expect((p.app.getHttpServer() as { timeout: number }).timeout).toBe(120_000);
      // With the probe's echo route, which reads the body (a body sent where no route is is not read).
      const quick = await startTestApp({ CONNECTION_IDLE_TIMEOUT_MS: '1000' }, { imports: [ProbeModule] });
      try {
        await quick.app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = quick.app.getHttpServer().address() as AddressInfo;
        // Headers, then a body that never comes: the server hangs up instead of waiting.
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () =>
            socket.write(
              `POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
            ),
          );
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          socket.on('close', () => resolve(`closed:${text}`));
          socket.on('error', reject);
        });
        expect(answer.startsWith('closed:')).toBe(true);
      } finally {
        await quick.close();
      }
    });

    /** What the server answers a raw request, read until it closes the connection. */
    async function rawExchange(request: string): Promise<string> {
      if (!p.app.getHttpServer().listening) await p.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = p.app.getHttpServer().address() as AddressInfo;
      return new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    }

    it('answers a request without Host, and an Expect it cannot meet, as problem+json', async () => {
      const [noHost, noHostBody] = (
        await rawExchange('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n')
      ).split('\r\n\r\n');
      expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
      expect(noHost).toContain(`content-type: ${PROBLEM}`);
      expect(JSON.parse(noHostBody)).toMatchObject({
        code: 'BAD_REQUEST',
        detail: expect.stringContaining('Host'),
      });
      const [expectHead, expectBody] = (
        await rawExchange(
          'POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 2\r\n\r\n{}',
        )
      ).split('\r\n\r\n');
      expect(expectHead).toMatch(/^HTTP\/1\.1 417 /);
      expect(expectHead).toContain(`content-type: ${PROBLEM}`);
      const requestId = /x-request-id: (\S+)/.exec(expectHead)?.[1];
      expect(JSON.parse(expectBody)).toMatchObject({
        code: 'EXPECTATION_FAILED',
        status: 417,
        request_id: requestId,
      });
    });

    it('answers headers over the server limit 431 as problem+json, then closes the connection', async () => {
      const raw = await rawExchange(
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head).toContain(`content-type: ${PROBLEM}`);
      expect(head).toContain('x-content-type-options: nosniff');
      expect(head).toMatch(/x-api-version: \S+/);
      const requestId = /x-request-id: (\S+)/.exec(head)?.[1];
      expect(JSON.parse(body)).toMatchObject({
        code: 'HEADERS_TOO_LARGE',
        status: 431,
        request_id: requestId,
      });
      // Counted and logged like every other answer, though no route or hook ever saw it.
      const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === requestId);
      expect(line).toMatchObject({ status: 431, message: 'request refused before parsing' });
      expect(JSON.stringify(line)).not.toContain('a'.repeat(100));
      const metrics = await inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain(
        'http_requests_total{method="(unparsed)",route="(unparsed)",status="431"} 1',
      );
    });

    it('answers 431 and 400 on a kept-alive connection too, after its earlier response ended', async () => {
      if (!p.app.getHttpServer().listening) await p.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = p.app.getHttpServer().address() as AddressInfo;
      /** A first request answered in full, then `second` on the same connection; all it got. */
      const afterOne = (second: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () =>
            socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
          );
          let text = '';
          socket.on('data', (chunk: Buffer) => {
            const first = text === '';
            text += chunk.toString('utf8');
            if (first) socket.write(second);
          });
          socket.on('close', () => resolve(text));
          socket.on('error', reject);
        });
      const tooLarge = await afterOne(
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(tooLarge).toMatch(/^HTTP\/1\.1 200 /);
      expect(tooLarge).toMatch(/\r\n\r\n[^]*HTTP\/1\.1 431 [^]*"code":"HEADERS_TOO_LARGE"/);
      const malformed = await afterOne('GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
      expect(malformed).toMatch(/HTTP\/1\.1 400 [^]*"code":"BAD_REQUEST"/);
    });

    it('answers a malformed percent-encoding 400 as problem+json', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/org/%E0%A4%A',
        headers: { 'x-request-id': 'bad-percent-1' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', request_id: 'bad-percent-1' });
      // Counted and logged like every other answer, though the router answered it before any hook.
      const line = logs.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.request_id === 'bad-percent-1' && l.message === 'request completed');
      expect(line).toMatchObject({ status: 400, method: 'GET', route: '(unmatched)' });
      const metrics = await inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /http_requests_total\{method="GET",route="\(unmatched\)",status="400"\} \d+/,
      );
    });

    it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const notFound = await inject({ method: 'GET', url: '/api/v1/nope' });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json().code).toBe('NOT_FOUND');
      const wrong = await inject({
        method: 'DELETE',
        url: '/api/v1/admin/bootstrap/status',
        headers: rootHeaders,
      });
      expect(wrong.statusCode).toBe(405);
      // The same list as the answer to OPTIONS, which is answered on every path.
      expect(wrong.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(wrong.json().code).toBe('METHOD_NOT_ALLOWED');
    });

    it('answers 404, not 405, for a known path with a trailing slash, as Fastify routes it', async () => {
      const slash = await inject({ method: 'GET', url: '/health/ready/' });
      expect(slash.statusCode).toBe(404);
      expect(slash.headers.allow).toBeUndefined();
      expect(slash.json().code).toBe('NOT_FOUND');
      const wrong = await inject({ method: 'POST', url: '/health/ready' });
      expect(wrong.statusCode).toBe(405);
      // HEAD is served beside every GET, so it is allowed too.
      expect(wrong.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect((await inject({ method: 'HEAD', url: '/health/ready' })).statusCode).toBe(200);
    });

    it('answers 404 for an empty path parameter, not a 405 naming the very method used', async () => {
      const empty = await inject({ method: 'DELETE', url: '/api/v1/admin/api-keys/', headers: rootHeaders });
      expect(empty.statusCode).toBe(404);
      expect(empty.headers.allow).toBeUndefined();
      expect(empty.json().code).toBe('NOT_FOUND');
    });
  });
});
