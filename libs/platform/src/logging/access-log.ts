import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { authOrg } from '../auth/auth.types.js';
import { urlPath } from '../http/route-table.js';
import { scrubSecrets } from './logger.js';

export interface AccessLogOptions {
  /**
   * Route templates whose lines are written at debug instead of info when answered below 400
   * (probes polled every few seconds by an orchestrator or a scraper), so they do not drown the log.
   */
  quietRoutes?: Iterable<string>;
}

const MAX_LOGGED_PATH = 2048;

/** One structured line per finished request, on the request's logger (so it carries the request id). */
export class AccessLog {
  private readonly quiet: ReadonlySet<string>;

  constructor(options: AccessLogOptions = {}) {
    this.quiet = new Set(options.quietRoutes ?? []);
  }

  write(
    request: FastifyRequest,
    reply: FastifyReply,
    route: string,
    latencyMs: number,
    ending: { status: number; aborted: boolean; timedOut?: boolean } | undefined = undefined,
  ): void {
    const status = ending?.status ?? reply.statusCode;
    // Only their answered polls: a refused scrape (a rotated or guessed METRICS_TOKEN) or a failing
    // readiness probe is what an SRE looks for, and was written at debug, below the production level.
    const level = this.quiet.has(route) && status < 400 ? 'debug' : 'info';
    // Probes poll constantly: skip building a line nobody will write. Fastify types the request's
    // logger as its minimal interface; it is a child of the app's pino logger (createLogger).
    if (!(request.log as Logger).isLevelEnabled(level)) return;
    const auth = request.auth;
    // `org` is the org whose key made the request (authenticated, never taken from the caller's
    // path); `target_org` the org the path names, so a refused cross-tenant attempt shows both.
    // A valid key refused before its guard (a 429) has no `auth` yet, but its org is known.
    const named = (request.params as { org?: unknown } | undefined)?.org;
    // Masked as messages are: a key pasted into the path (a plaintext key sent to
    // DELETE /admin/api-keys/{hash}, or as the org) must not be written out with the line.
    const targetOrg = typeof named === 'string' && named !== '' ? scrubSecrets(named) : undefined;
    const keyOrg = auth ? authOrg(auth) : request.keyOrg;
    const path = scrubSecrets(urlPath(request.url));
    request.log[level](
      {
        method: request.method,
        route,
        // A URL refused for its length (414) may fill the server's whole header limit.
        path: path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path,
        status,
        latency_ms: Math.round(latencyMs * 100) / 100,
        org: keyOrg ?? undefined,
        target_org: targetOrg,
        caller: auth?.kind ?? (keyOrg ? 'org' : undefined),
        // The client hung up before the answer ended (it got none, or part of it).
        client_aborted: ending?.aborted || undefined,
        // The server's idle timeout (CONNECTION_IDLE_TIMEOUT_MS) closed the connection first.
        server_timed_out: ending?.timedOut || undefined,
      },
      'request completed',
    );
  }

  /** The line of a request refused before it was parsed (its headers too large, malformed HTTP). */
  refused(logger: Pick<Logger, 'info'>, status: number, requestId: string, reason: string): void {
    // Info, like any answered request: scanners and stray TLS handshakes on the plain port send these.
    logger.info({ request_id: requestId, status, reason }, 'request refused before parsing');
  }
}
