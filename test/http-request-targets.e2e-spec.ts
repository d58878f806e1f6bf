import net, { type AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '#test/test-app';

const PROBLEM = 'application/problem+json; charset=utf-8';

/** A raw exchange (inject normalizes the request target): status line, headers, body. */
interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Request targets outside the routes' own: the asterisk-form `OPTIONS *` asks about the server as
 * a whole (RFC 9110 §9.3.7), and a NUL in a `/docs` path names no file; both were answered with
 * what contradicted the rest (a 405 whose Allow listed OPTIONS, a 403 of the static file server).
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

  it('answers another target not in origin-form 404, not a 405 for the path it resembles', async () => {
    const res = await exchange('POST *health HTTP/1.1', 'Content-Length: 0\r\n');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers.allow).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each(['/docs/%00', '/docs/a%00b', '/docs/swagger-ui.css%00'])(
    'answers a NUL in a docs path (%s) 404 problem+json, as any unknown path',
    async (path) => {
      const res = await exchange(`GET ${path} HTTP/1.1`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      const injected = await t.app.inject({ method: 'GET', url: path });
      expect([injected.statusCode, injected.json().code]).toEqual([404, 'NOT_FOUND']);
    },
  );

  it('still serves the docs and answers OPTIONS on a path with its Allow', async () => {
    expect((await exchange('GET /docs HTTP/1.1')).status).toBe(200);
    const options = await exchange('OPTIONS /health HTTP/1.1');
    expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
  });
});
