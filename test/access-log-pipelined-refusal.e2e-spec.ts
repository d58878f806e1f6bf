import net from 'node:net';
import { LogCapture } from '#test/log-capture';
import { ProbeModule } from '#test/probe.module';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** The test server's port (an ephemeral one, set once it listens). */
let PORT = 0;

// HTTP/1.1 pipelining: a client sends a valid request and, before its answer, a malformed one.
describe('a malformed request pipelined behind one still being answered', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' }, { imports: [ProbeModule], logDestination: logs });
    PORT = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  const parsed = () =>
    logs.entries((l) => l.includes('request completed') || l.includes('refused before parsing'));

  it('answers the first, then refuses the second: each counted and logged once, with its own status', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'GET /api/v1/probe/slow?ms=300 HTTP/1.1\r\nHost: api\r\nX-Request-ID: pipelined-1\r\n\r\n' +
          'NOT HTTP AT ALL\r\n\r\n',
      ),
    );
    socket.on('error', () => undefined);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    await until(() => parsed().length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The first request's answer, then the refusal of the second (RFC 9112 §9.3.2: in order).
    expect(answer).toMatch(/^HTTP\/1\.1 200 [^]*"slept_ms":300[^]*HTTP\/1\.1 400 /);
    const lines = parsed();
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ request_id: 'pipelined-1', route: '/api/v1/probe/slow', status: 200 }),
        expect.objectContaining({ message: 'request refused before parsing', status: 400 }),
      ]),
    );
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="GET",route="/api/v1/probe/slow",status="200"} 1');
    expect(metrics).toContain('http_requests_total{method="(unparsed)",route="(unparsed)",status="400"} 1');
  });

  it('answers the first, then refuses the second whose body is malformed, logged with its own route', async () => {
    const socket = net.connect(PORT, '127.0.0.1', () =>
      socket.write(
        'GET /api/v1/probe/slow?ms=300 HTTP/1.1\r\nHost: api\r\nX-Request-ID: pipelined-2\r\n\r\n' +
          'POST /api/v1/probe/echo HTTP/1.1\r\nHost: api\r\nX-Request-ID: pipelined-3\r\n' +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ),
    );
    socket.on('error', () => undefined);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    const of = (id: string) => parsed().filter((l) => l.request_id === id);
    await until(() => of('pipelined-3').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(answer).toMatch(/^HTTP\/1\.1 200 [^]*"slept_ms":300[^]*HTTP\/1\.1 400 /);
    expect(of('pipelined-2')).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/slow', status: 200 }),
    ]);
    expect(of('pipelined-3')).toEqual([
      expect.objectContaining({ route: '/api/v1/probe/echo', status: 400 }),
    ]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_requests_total{method="POST",route="/api/v1/probe/echo",status="400"} 1');
    // Only the first test's malformed request was refused before parsing.
    expect(metrics).toContain('http_requests_total{method="(unparsed)",route="(unparsed)",status="400"} 1');
  });
});
