import { Readable } from 'node:stream';
import { Controller, Get, Module } from '@nestjs/common';
import { Public } from '#platform';
import { LogCapture } from '#test/log-capture';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';

/** The test server's port (an ephemeral one, set once it listens). */
let PORT = 0;

/** A download whose later pages fail to read (the warehouse gone mid-way), after its 200 began. */
@Controller('api/v1/test-stream')
class BrokenStreamController {
  @Public()
  @Get('broken')
  broken(): Readable {
    return Readable.from(
      (async function* () {
        yield 'first page,';
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('warehouse unavailable');
      })(),
    );
  }
}

@Module({ controllers: [BrokenStreamController] })
class BrokenStreamModule {}

describe('a streamed answer that fails on the server after it began', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' }, { imports: [BrokenStreamModule], logDestination: logs });
    PORT = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  const lines = () =>
    logs.entries((l) => l.includes('"request_id":"cut-off-1"') && l.includes('request completed'));

  it('is counted and logged as a 500 of its route, not as a 200 the client gave up on', async () => {
    const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/test-stream/broken`, {
      headers: { 'x-request-id': 'cut-off-1' },
    });
    expect(res.status).toBe(200);
    // The client was cut off by the server: the body never completes.
    await expect(res.text()).rejects.toThrow();
    await until(() => lines().length > 0);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const logged = lines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ route: '/api/v1/test-stream/broken', status: 500 });
    expect(logged[0].client_aborted).toBeUndefined();
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'http_requests_total{method="GET",route="/api/v1/test-stream/broken",status="500"} 1',
    );
    expect(metrics).not.toContain('route="/api/v1/test-stream/broken",status="200"');
  });
});
