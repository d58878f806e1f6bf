import net, { type AddressInfo } from 'node:net';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { pipelineProxyOptionsOverride } from '../apps/api/src/pipelines-proxy/pipeline-proxy.options.js';
import { anOrgWithKey } from '#test/org-factory';
import { NO_LIMITS } from '#test/org-onboarding';
import { startTestApp } from '#test/test-app';

/**
 * An app whose pipeline service is `server` (over `scheme`), with the proxy options given, and an
 * org with its key; `trigger` posts one run. `close` ends the app and the server.
 */
async function appAgainst(
  server: net.Server,
  scheme: 'http' | 'https',
  options: Parameters<typeof pipelineProxyOptionsOverride>[0],
) {
  const t = await startTestApp(
    { ...NO_LIMITS, PIPELINE_SERVICE_URL: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}` },
    { imports: [pipelineProxyOptionsOverride(options)] },
  );
  const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
  return {
    trigger: () =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
        headers: { 'x-api-key': k.key },
      }),
    close: async () => {
      await t.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('pipeline proxy on a kept-alive connection the service has closed', () => {
  /**
   * Answers the first request of each connection and keeps it open; the next request on it is
   * reset unread, as when a service (uvicorn: 5 s, announcing no Keep-Alive timeout) closes an
   * idle connection while the proxy is sending on it.
   */
  async function closingIdleConnections(): Promise<{ server: net.Server; received: () => number }> {
    let received = 0;
    const server = net.createServer((socket) => {
      let answered = false;
      socket.on('error', () => undefined);
      socket.on('data', (data) => {
        received++;
        if (answered) return socket.resetAndDestroy();
        if (!data.toString('latin1').includes('\r\n\r\n')) return;
        answered = true;
        const body = '{"status":"PENDING"}';
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { server, received: () => received };
  }

  it('sends the run again on a new connection instead of answering 502 "may have started"', async () => {
    const { server, received } = await closingIdleConnections();
    const app = await appAgainst(server, 'http', { retryDelaysMs: [20] });
    try {
      expect((await app.trigger()).statusCode).toBe(200);
      const res = await app.trigger();
      expect({ status: res.statusCode, body: res.json() }).toMatchObject({
        status: 200,
        body: { status: 'PENDING' },
      });
      expect(received()).toBe(3);
    } finally {
      await app.close();
    }
  });
});

describe('pipeline proxy to an https service whose TLS handshake fails', () => {
  it('reports the run as not started and retries it, as nothing was sent', async () => {
    // Accepts TCP connections and drops them before the TLS handshake ends: the request is never sent.
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.on('error', () => undefined);
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const app = await appAgainst(server, 'https', { retryDelaysMs: [20] });
    try {
      const res = await app.trigger();
      expect({ status: res.statusCode, code: res.json().code }).toEqual({
        status: 502,
        code: 'PIPELINE_SERVICE_UNREACHABLE',
      });
      expect(res.json().detail).not.toContain('may have started');
      expect(connections).toBe(3);
    } finally {
      await app.close();
    }
  });
});

describe('pipeline proxy to a service that never completes the connection', () => {
  it('answers 504 saying the run was not started, after retrying', async () => {
    // Takes the TCP connection, never answers the TLS handshake: the request is never sent.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const app = await appAgainst(server, 'https', { connectTimeoutMs: 150, retryDelaysMs: [20] });
    try {
      const res = await app.trigger();
      expect(res.json()).toMatchObject({
        status: 504,
        code: 'PIPELINE_SERVICE_TIMEOUT',
        detail: expect.stringContaining('the run was not started'),
      });
      expect(sockets).toHaveLength(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await app.close();
    }
  });
});
