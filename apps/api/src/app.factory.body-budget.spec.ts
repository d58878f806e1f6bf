import net, { type AddressInfo } from 'node:net';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { ProbeModule } from '#test/probe.module';
import { startTestApp, type TestApp } from '#test/test-app';

/** Sends headers and all but the last byte of a JSON body; resolves with the status line, if any comes. */
function holdBody(port: number, head: string, length: number): Promise<{ line: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        `${head}Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${'['.padEnd(length - 1)}`,
      ),
    );
    const timer = setTimeout(() => resolve({ line: '', socket }), 1000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      clearTimeout(timer);
      resolve({ line: text.split('\r\n')[0]!, socket });
    });
    socket.once('error', reject);
  });
}

/**
 * JSON bodies being received are bounded, per caller and on the instance: one org key holding
 * connections with all but a byte of a body each held 10 MB of the server per connection (1 GB
 * for 100), counted by no rate limit (the body comes before the guards) and for as long as bytes
 * kept coming.
 */
describe('JSON bodies being received at once', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '10000' }, { imports: [ProbeModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('refuses a key a third body of the limit while two are arriving, and takes it once they ended', async () => {
    const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    // Authenticated once, so the key is this instance's (the bodies are then counted by key).
    const known = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/locale`,
      headers: { 'x-api-key': k.key },
    });
    expect(known.statusCode).toBe(200);
    const head = `PUT /api/v1/organizations/${k.org}/locale HTTP/1.1\r\nHost: x\r\nX-API-Key: ${k.key}\r\n`;
    const held = [await holdBody(port, head, 10_000), await holdBody(port, head, 10_000)];
    expect(held.map((h) => h.line)).toEqual(['', '']);
    const third = await holdBody(port, head, 10_000);
    expect(third.line).toBe('HTTP/1.1 503 Service Unavailable');
    for (const h of [...held, third]) h.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The bodies that never arrived are given back with their connections.
    const again = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/organizations/${k.org}/locale`,
      headers: { 'x-api-key': k.key, 'content-type': 'application/json' },
      payload: '{bad',
    });
    expect([again.statusCode, again.json().code]).toEqual([400, 'MALFORMED_JSON']);
  });

  it('gives back the body of a pipelined request whose connection closed before its turn to answer', async () => {
    // A slow request, then the headers and a byte of a body on the same connection (HTTP/1.1
    // pipelining): the body's answer waits for the slow one's, and the connection goes meanwhile.
    // Node never closes a response that was still waiting for its turn.
    const post = 'POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
    for (let round = 0; round < 2; round++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `GET /api/v1/probe/slow?ms=1000 HTTP/1.1\r\nHost: x\r\n\r\n${post}Content-Length: 10000\r\n\r\n[`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': 'application/json' },
      remoteAddress: '127.0.0.1',
      payload: '{bad',
    });
    expect([again.statusCode, again.json().code]).toEqual([400, 'MALFORMED_JSON']);
  });

  it('counts a chunked body by the bytes that arrived, not at the body limit from its headers', async () => {
    const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const url = `/api/v1/organizations/${k.org}/locale`;
    const known = await t.app.inject({ method: 'GET', url, headers: { 'x-api-key': k.key } });
    expect(known.statusCode).toBe(200);
    // Three small bodies sent without a length (a streaming client), the first bytes of each arrived.
    const open = (socket: net.Socket) =>
      socket.write(
        `PUT ${url} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${k.key}\r\nContent-Type: application/json\r\n` +
          'Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n',
      );
    const answers = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<string>((resolve, reject) => {
            let text = '';
            const socket = net.connect(port, '127.0.0.1', () => {
              open(socket);
              // The rest of the body a moment later, once all three were under way.
              setTimeout(() => socket.write('3\r\nbad\r\n0\r\n\r\n'), 300);
            });
            socket.on('data', (chunk: Buffer) => {
              text += chunk.toString('latin1');
              if (text.includes('\r\n\r\n')) {
                socket.destroy();
                resolve(text.split('\r\n')[0]!);
              }
            });
            socket.once('error', reject);
          }),
      ),
    );
    expect(answers).toEqual(Array(3).fill('HTTP/1.1 400 Bad Request'));
  });
});
