import net, { type AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * A request with a body to a URL no route takes is answered (404, or 405 for a known path) before
 * its body is read: Fastify's not-found path buffered and parsed it, up to the body limit and for
 * as long as it took to arrive, for anyone (no credentials are asked where there is no route).
 * 200 such connections, each holding all but a byte of a 10 MB body, held 2 GB of the server.
 */
describe('a body sent where no route is', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 404 and 405 without parsing the body', async () => {
    const notFound = await t.app.inject({
      method: 'POST',
      url: '/api/v1/nope',
      headers: { 'content-type': 'application/json' },
      payload: '{bad',
    });
    expect([notFound.statusCode, notFound.json().code]).toEqual([404, 'NOT_FOUND']);
    const wrongMethod = await t.app.inject({
      method: 'PUT',
      url: '/health/ready',
      headers: { 'content-type': 'application/json' },
      payload: '{bad',
    });
    expect([wrongMethod.statusCode, wrongMethod.json().code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, OPTIONS');
    // Without a body, the same answers as before.
    const bare = await t.app.inject({ method: 'POST', url: '/api/v1/nope' });
    expect([bare.statusCode, bare.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  it('answers a body that has not arrived yet at once and closes the connection', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = net.connect(port, '127.0.0.1', () =>
        // Headers announcing 10 MB, then only the first byte of the body.
        socket.write(
          'POST /api/v1/nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            `Content-Length: ${10 * 1024 * 1024}\r\n\r\n[`,
        ),
      );
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(`still open after 2 s: ${text.split('\r\n')[0]}`);
      }, 2000);
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      // The server hangs up after its answer rather than reading the rest of the body.
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(`closed: ${text.split('\r\n')[0]}`);
      });
      socket.once('error', reject);
    });
    expect(answer).toBe('closed: HTTP/1.1 404 Not Found');
  });
});
