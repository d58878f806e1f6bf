import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Controller, Get, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Public } from '#platform';
import { until } from '#test/waiting';
import { ProbeModule } from '#test/probe.module';
import pg from 'pg';
import { dropTestSchema, postgresTenancyEnv, startTestApp } from '#test/test-app';
import { startValidatorApp } from '#test/validator-app';

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new connections, then closes the engines', async () => {
    const t = await startTestApp({}, { imports: [ProbeModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();
    const inFlight = fetch(`${url.replace('[::1]', '127.0.0.1')}/api/v1/probe/slow?ms=400`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = t.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slept_ms: 400 });
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

/** A module torn down at shutdown, and a slow route that reports whether it already was. */
@Injectable()
class TornDown implements OnModuleDestroy {
  destroyed = false;
  onModuleDestroy(): void {
    this.destroyed = true;
  }
}
@Controller('api/v1/drain-probe')
class DrainProbeController {
  constructor(private readonly torn: TornDown) {}
  @Public()
  @Get('slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { torn_down: this.torn.destroyed };
  }
}
@Module({ controllers: [DrainProbeController], providers: [TornDown] })
class DrainProbeModule {}

describe('the order of shutdown', () => {
  it('answers the requests in flight before any module is torn down (caches unsubscribe, Redis closes)', async () => {
    const t = await startTestApp({}, { imports: [DrainProbeModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    const inFlight = fetch(`${url}/api/v1/drain-probe/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = t.close();
    const res = await inFlight;
    expect(await res.json()).toEqual({ torn_down: false });
    await closing;
    expect(t.app.get(TornDown).destroyed).toBe(true);
  });
});

/** Holds Fastify's close in its preClose phase for a moment, and says when it is there. */
let closeStarted: () => void = () => undefined;
@Injectable()
class SlowClose implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}
  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preClose', (done) => {
      closeStarted();
      setTimeout(done, 300);
    });
  }
}
@Module({ providers: [SlowClose] })
class SlowCloseModule {}

/**
 * On one keep-alive connection: `before` answered (containing `answered`), then closing starts
 * (held in preClose), then `late` is sent on it. Both raw responses, once the server has closed.
 */
async function sentWhileClosing(before: string, answered: string, late: string): Promise<[string, string]> {
  const t = await startTestApp({}, { imports: [SlowCloseModule] });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  // Idle when closing starts: a request sent on it before the server drops idle connections must
  // get an answer that says what happened.
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const ended = new Promise((resolve) => socket.on('close', resolve));
  socket.write(before);
  await until(() => received.includes(answered));
  const inPreClose = new Promise<void>((resolve) => (closeStarted = resolve));
  const closing = t.close();
  await inPreClose;
  socket.write(late);
  await ended;
  await closing;
  const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
  return [first!, second!];
}

describe('a request arriving while the server closes', () => {
  it('is refused as a problem+json 503 with its request id', async () => {
    const [first, second] = await sentWhileClosing(
      'GET /health HTTP/1.1\r\nHost: test\r\n\r\n',
      '"status":"healthy"',
      'GET /health HTTP/1.1\r\nHost: test\r\nX-Request-ID: late-request\r\n\r\n',
    );
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/content-type: application\/problem\+json/i);
    expect(second).toMatch(/x-request-id: late-request/i);
    expect(second).toMatch(/retry-after: 1/i);
    expect(second).toContain('"code":"SERVICE_UNAVAILABLE"');
  });
});

describe("a dashboard's request arriving while the server closes", () => {
  it('carries the CORS headers, so the page can read the 503 and its Retry-After', async () => {
    const [, second] = await sentWhileClosing(
      'GET /health HTTP/1.1\r\nHost: test\r\n\r\n',
      '"status":"healthy"',
      'GET /health HTTP/1.1\r\nHost: test\r\nOrigin: http://localhost:3000\r\n\r\n',
    );
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/access-control-allow-origin: http:\/\/localhost:3000\r\n/i);
    expect(second).toMatch(/access-control-expose-headers: [^\r]*Retry-After/i);
    expect(second).toMatch(/retry-after: 1/i);
  });
});

describe('liveness while the server closes', () => {
  it("answers 503 with the reference's shutting_down body (the other routes refuse with a problem)", async () => {
    const live = 'GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n';
    const [, second] = await sentWhileClosing(live, '"status":"alive"', live);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/connection: close/i);
    expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 'shutting_down',
      service: expect.any(String),
      message: expect.any(String),
    });
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'a tenancy statement still waiting near the end of the grace',
  () => {
    it('is cut, so its request answers 503 before the process is stopped, rather than dropped with it', async () => {
      const env: Record<string, string> = { ...postgresTenancyEnv(), SHUTDOWN_GRACE_MS: '3000' };
      const v = await startValidatorApp(env);
      const k = await v.anOrg();
      const locker = new pg.Client({ connectionString: env.DATABASE_URL });
      await locker.connect();
      try {
        await v.t.app.listen({ port: 0, host: '127.0.0.1' });
        const url = (await v.t.app.getUrl()).replace('[::1]', '127.0.0.1');
        // The reservation waits on the org's quota row behind a lock held past the 30 s statement timeout.
        await locker.query('BEGIN');
        await locker.query(
          `LOCK TABLE "${env.TENANCY_DB_SCHEMA}".pipeline_quota_state IN ACCESS EXCLUSIVE MODE`,
        );
        const started = Date.now();
        const inFlight = fetch(`${url}/api/v1/validator/validate/${k.org}`, {
          method: 'POST',
          headers: { 'x-api-key': k.key, 'content-type': 'application/json' },
          body: JSON.stringify({ pipeline_id: 'subscription_costs', pipeline_logging_id: 'cut-at-shutdown' }),
        });
        await new Promise((r) => setTimeout(r, 300));
        const closing = v.t.app.close();

        const res = await inFlight;

        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ code: 'TENANCY_DB_UNAVAILABLE' });
        // Cut 3 s - 1.5 s after the shutdown began: well within the grace.
        expect(Date.now() - started).toBeLessThan(2_900);
        await locker.query('ROLLBACK');
        await closing;
      } finally {
        await locker.end();
        await dropTestSchema(env);
      }
    });
  },
);
