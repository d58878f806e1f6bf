import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  receivedAt: number;
}

export interface FakeReply {
  status: number;
  /** An object is sent as JSON, a string as text/plain. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow service). */
  delayMs?: number;
}

export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

/** What the real service answers to a run it starts. */
export const started = (req: RecordedRequest): FakeReply => ({
  status: 200,
  body: {
    pipeline_logging_id: randomUUID(),
    pipeline_id: req.path.split('/').slice(5).join('-'),
    status: 'PENDING',
    message: 'Pipeline run started',
  },
});

/**
 * A real HTTP server on 127.0.0.1 playing the pipeline service: it records every request and
 * answers as told: always the same, a sequence (flapping), slowly, or by a handler.
 */
export class FakePipelineService {
  readonly requests: RecordedRequest[] = [];
  private handler: FakeHandler = started;
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening on `port` (0 = any free port). */
  static async start(port = 0): Promise<FakePipelineService> {
    const fake = new FakePipelineService();
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(port, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** A port nothing listens on (yet): connecting to it is refused. */
  static async freePort(): Promise<number> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections open to it now (kept alive by the client, or in use). */
  get openConnections(): number {
    return this.sockets.size;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every request gets this answer. */
  always(reply: FakeReply): this {
    this.handler = () => reply;
    return this;
  }

  /** The n-th request gets the n-th answer; the last one repeats (flapping, then settled). */
  sequence(replies: FakeReply[]): this {
    this.handler = (_req, i) => replies[Math.min(i, replies.length - 1)]!;
    return this;
  }

  handle(handler: FakeHandler): this {
    this.handler = handler;
    return this;
  }

  /** Forgets the recorded requests and answers as the real service again. */
  reset(): this {
    this.requests.length = 0;
    this.handler = started;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : null;
    } catch {
      json = null;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      receivedAt: Date.now(),
    };
    const index = this.requests.push(recorded) - 1;
    const reply = await this.handler(recorded, index);
    // The wait ends with the response too (the app gave up, or close() cut it), so no timer outlives
    // the server into the next test file.
    if (reply.delayMs)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, reply.delayMs);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    if (res.destroyed) return;
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
    res.writeHead(reply.status, { 'Content-Type': type, ...reply.headers });
    res.end(text);
  }
}
