import net, { type AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { Public } from '#platform';
import { LogCapture } from '#test/log-capture';
import { startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** A route that tells when it was entered and answers only when the test lets it. */
const hang = { entered: false, release: () => undefined as void, done: Promise.resolve() };

@Controller('api/v1/test-abort')
class HangingController {
  @Public()
  @Get('hang')
  async hang() {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let finish!: () => void;
    hang.done = new Promise<void>((resolve) => (finish = resolve));
    hang.release = release;
    hang.entered = true;
    await released;
    setImmediate(finish);
    return { ok: true };
  }

  @Public()
  @Get('quick')
  quick() {
    return { ok: true };
  }
}

@Module({ controllers: [HangingController] })
class HangingModule {}

describe('a request whose client hangs up before the answer', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' }, { imports: [HangingModule], logDestination: logs });
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t.close());

  const linesOf = (requestId: string) =>
    logs.text
      .split('\n')
      .filter((l) => l.includes(`"request_id":"${requestId}"`) && l.includes('request completed'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('is still logged and counted, as 499 with its route and latency, once', async () => {
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write('GET /api/v1/test-abort/hang HTTP/1.1\r\nHost: api\r\nX-Request-ID: gave-up-1\r\n\r\n'),
    );
    socket.on('error', () => undefined);
    await until(() => hang.entered);
    // A dashboard tab closed, a client's or load balancer's timeout: the slow requests one needs to see.
    socket.destroy();
    await until(() => linesOf('gave-up-1').length > 0);
    hang.release();
    await hang.done;
    await new Promise((resolve) => setImmediate(resolve));

    const lines = linesOf('gave-up-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      route: '/api/v1/test-abort/hang',
      status: 499,
      client_aborted: true,
    });
    expect(typeof lines[0].latency_ms).toBe('number');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'http_requests_total{method="GET",route="/api/v1/test-abort/hang",status="499"} 1',
    );
  });

  it('is not taken for a hung-up client when answered in-process (app.inject, as the demo onboards)', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/test-abort/quick',
      headers: { 'x-request-id': 'in-process-1' },
    });
    expect(res.statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));

    expect(linesOf('in-process-1')).toEqual([expect.not.objectContaining({ client_aborted: true })]);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'http_requests_total{method="GET",route="/api/v1/test-abort/quick",status="200"} 1\n',
    );
  });
});
