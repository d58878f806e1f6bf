import net from 'node:net';
import { LogCapture } from '#test/log-capture';
import { ProbeModule } from '#test/probe.module';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** The test server's port (an ephemeral one, set once it listens). */
let PORT = 0;

// The server's own idle timeout (CONNECTION_IDLE_TIMEOUT_MS) closes the connection of a request
// whose handler is still at work: the client did not hang up, the server did.
describe('a request the server times out (CONNECTION_IDLE_TIMEOUT_MS)', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp(
      { LOG_LEVEL: 'info', CONNECTION_IDLE_TIMEOUT_MS: '1000' },
      { imports: [ProbeModule], logDestination: logs },
    );
    PORT = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  const lines = (id: string) =>
    logs.entries((l) => l.includes(`"request_id":"${id}"`) && l.includes('request completed'));

  it('is logged and counted once as 504, not as a client that closed its request (499)', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'GET /api/v1/probe/slow?ms=1500 HTTP/1.1\r\nHost: api\r\nX-Request-ID: server-timed-out\r\n\r\n',
      ),
    );
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    // The server hangs up at the idle timeout, before the handler answers.
    expect(await closed).toBe('');
    await until(() => lines('server-timed-out').length > 0);
    // The handler finishes later: still one line.
    await new Promise((resolve) => setTimeout(resolve, 800));

    expect(lines('server-timed-out')).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/slow', status: 504, server_timed_out: true }),
    ]);
    expect(lines('server-timed-out')[0].client_aborted).toBeUndefined();
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="GET",route="/api/v1/probe/slow",status="504"} 1');
    expect(metrics).not.toContain('status="499"');
  }, 20_000);

  it('is logged and counted as 408 when its body was still arriving (the client too slow to send it)', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'POST /api/v1/probe/echo HTTP/1.1\r\nHost: api\r\nX-Request-ID: body-timed-out\r\n' +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
      ),
    );
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.on('close', resolve));
    await until(() => lines('body-timed-out').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(lines('body-timed-out')).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/echo', status: 408, server_timed_out: true }),
    ]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="POST",route="/api/v1/probe/echo",status="408"} 1');
  }, 20_000);
});
