import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { until } from '#test/waiting';
import { ProbeModule } from '#test/probe.module';
import { startTestApp } from '#test/test-app';

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

describe('a request arriving while the server closes', () => {
  it('is refused as a problem+json 503 with its request id', async () => {
    const t = await startTestApp({}, { imports: [SlowCloseModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    // A keep-alive connection, idle when closing starts: a request sent on it before the server
    // drops idle connections must get an answer that says what happened.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: test\r\n\r\n');
    await until(() => received.includes('"status":"healthy"'));
    const inPreClose = new Promise<void>((resolve) => (closeStarted = resolve));
    const closing = t.close();
    await inPreClose;
    socket.write('GET /health HTTP/1.1\r\nHost: test\r\nX-Request-ID: late-request\r\n\r\n');
    await ended;
    await closing;
    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/content-type: application\/problem\+json/i);
    expect(second).toMatch(/x-request-id: late-request/i);
    expect(second).toMatch(/retry-after: 1/i);
    expect(second).toContain('"code":"SERVICE_UNAVAILABLE"');
  });
});
