import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/**
 * What one POST to the pipeline service came to. The distinction that matters for retries is
 * whether anything can have reached the service: `not_sent` means the connection was never made.
 */
export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      headers: IncomingHttpHeaders;
      body: Buffer;
      /** The body was over `maxResponseBytes`: dropped unread (empty here), the status kept. */
      oversized?: true;
    }
  | { kind: 'not_sent'; code: string }
  | { kind: 'timeout'; phase: 'connect' | 'response' }
  | {
      kind: 'failed';
      code: string;
      /**
       * Reset before any answer on a kept-alive connection: the service most likely closed it as
       * idle while this request was being sent (Node's documented case for a retry).
       */
      staleSocket?: boolean;
    };

export interface PostOptions {
  agent: http.Agent;
  headers: Record<string, string>;
  body: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  /**
   * Aborted at shutdown: a call not yet made is `not_sent`; one in flight ends as a timeout (the
   * service may have received it).
   */
  signal?: AbortSignal;
}

/** One POST; never throws. Times are enforced here so the socket is destroyed, not left waiting. */
export function postOnce(url: URL, opts: PostOptions): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) {
      resolve({ kind: 'not_sent', code: 'SHUTTING_DOWN' });
      return;
    }
    let connected = false;
    let responded = false;
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(requestTimer);
      opts.signal?.removeEventListener('abort', cut);
      resolve(outcome);
    };
    const cut = () => {
      finish({ kind: 'timeout', phase: connected ? 'response' : 'connect' });
      req.destroy();
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'POST',
      agent: opts.agent,
      headers: { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) },
    });
    const connectTimer = setTimeout(() => {
      if (connected) return;
      finish({ kind: 'timeout', phase: 'connect' });
      req.destroy();
    }, opts.connectTimeoutMs);
    const requestTimer = setTimeout(() => {
      finish({ kind: 'timeout', phase: connected ? 'response' : 'connect' });
      req.destroy();
    }, opts.requestTimeoutMs);

    opts.signal?.addEventListener('abort', cut, { once: true });
    req.on('socket', (socket) => {
      // A kept-alive socket is already open; a new one reports when its handshake is done: over
      // https, the TLS one (the request is sent only then; a failure before it is no run started).
      if (!socket.connecting) connected = true;
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.name;
      if (!connected) return finish({ kind: 'not_sent', code });
      const staleSocket = req.reusedSocket && !responded && code === 'ECONNRESET';
      finish({ kind: 'failed', code, ...(staleSocket ? { staleSocket } : {}) });
    });
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= opts.maxResponseBytes) {
          chunks.push(chunk);
          return;
        }
        // The status is still the service's answer (a 4xx or a 429 is the caller's, and no sign the
        // service is down): only the body is too large to read, and dropped with the connection.
        const { statusCode: status = 0, headers } = res;
        finish({ kind: 'response', status, headers, body: Buffer.alloc(0), oversized: true });
        res.destroy();
      });
      res.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'failed', code: err.code ?? err.name }));
      res.on('end', () =>
        finish({
          kind: 'response',
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.end(opts.body);
  });
}
