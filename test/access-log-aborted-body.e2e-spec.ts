import net from 'node:net';
import { LogCapture } from '#test/log-capture';
import { ProbeModule } from '#test/probe.module';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** The test server's port (an ephemeral one, set once it listens). */
let PORT = 0;

describe('a request whose client hangs up while sending its body', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' }, { imports: [ProbeModule], logDestination: logs });
    PORT = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  const lines = (id = 'gave-up-body') =>
    logs.entries((l) => l.includes(`"request_id":"${id}"`) || l.includes('refused before parsing'));

  it('is counted and logged once, as 499 of its route, not also as a request refused before parsing', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'POST /api/v1/probe/echo HTTP/1.1\r\nHost: api\r\nX-Request-ID: gave-up-body\r\n' +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
      ),
    );
    socket.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // An upload cancelled, a client's timeout: its side of the connection closes mid-body.
    socket.end();
    await until(() => lines().length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(lines()).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/echo', status: 499, client_aborted: true }),
    ]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="POST",route="/api/v1/probe/echo",status="499"} 1');
    expect(metrics).not.toContain('route="(unparsed)"');
  });

  it('is counted and logged once, with the status it was refused with, when its body is malformed', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'POST /api/v1/probe/echo HTTP/1.1\r\nHost: api\r\nX-Request-ID: bad-chunks\r\n' +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ),
    );
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    socket.on('error', () => undefined);
    expect(await answer).toMatch(/^HTTP\/1\.1 400 /);
    await until(() => lines('bad-chunks').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(lines('bad-chunks')).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/echo', status: 400 }),
    ]);
    expect(lines('bad-chunks')[0].client_aborted).toBeUndefined();
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="POST",route="/api/v1/probe/echo",status="400"} 1');
    expect(metrics).not.toContain('route="(unparsed)"');
  });
});
