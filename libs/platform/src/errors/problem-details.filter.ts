import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allowHeader, type RouteTable, urlPath } from '../http/route-table.js';
import { isDocsPath } from '../http/security-headers.js';
import { scrubSecrets } from '../logging/logger.js';
import { PlatformError, PlatformErrorCode } from './platform-errors.js';
import { PROBLEM_CONTENT_TYPE, type ErrorCatalog } from './problem.js';
import { toProblem } from './to-problem.js';

/** The 404 of a path no route takes; `path` is quoted masked, as every answer quotes a path. */
export const noRouteError = (method: string, path: string): PlatformError =>
  new PlatformError(PlatformErrorCode.NotFound, `No route ${method} ${scrubSecrets(path)}.`);

/** Turns anything thrown into the problem+json response; shared by the Nest filter and Fastify's handler. */
export class ProblemResponder {
  /**
   * `platformHeaders`: the headers the platform's request hook sets, for a request that never
   * reached it: Nest's adapter sends a target not in origin-form (`*`, `*users`) to the not-found
   * handler from a request hook of its own, which runs first.
   */
  constructor(
    private readonly catalog: ErrorCatalog,
    private readonly routes: RouteTable,
    private readonly platformHeaders: (request: FastifyRequest, reply: FastifyReply) => void = () => {},
  ) {}

  send(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
    if (!reply.hasHeader('x-request-id')) this.platformHeaders(request, reply);
    if (err instanceof NotFoundException && request.method === 'OPTIONS' && request.url === '*') {
      // The asterisk-form asks about the server as a whole (RFC 9110 §9.3.7): what it takes.
      reply.code(204).header('allow', allowHeader(this.routes.allMethods())).send();
      return;
    }
    // Any other target neither a path nor an absolute URL (`GET *`, `*health`) is not a valid
    // request-target (RFC 9112 §3.2): 400, as Node's parser answers `GET health`, not a 404.
    if (err instanceof NotFoundException && !isRoutableTarget(request.url))
      err = new PlatformError(
        PlatformErrorCode.BadRequest,
        'The request target is neither a path nor an absolute URL; only OPTIONS takes *.',
      );
    const path = urlPath(request.url);
    // Masked as the access log masks it: a key pasted into a path (a plaintext key sent to
    // DELETE /admin/api-keys/{hash}, or where the org goes) is not echoed in the answer, whose body
    // a dashboard shows and gateways and error trackers keep.
    const { problem, headers, log } = toProblem(
      this.refine(request, path, err),
      String(request.id),
      this.catalog,
      scrubSecrets(path),
    );
    if (log === 'error') request.log.error({ err, code: problem.code }, 'request failed');
    else request.log[log]({ code: problem.code, status: problem.status }, 'request refused');
    if (reply.sent) return;
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }

  /** An unmatched route is 404, or 405 with Allow when the path exists for other methods. */
  private refine(request: FastifyRequest, path: string, err: unknown): unknown {
    const unknown = noRouteError(request.method, path);
    // No file of the docs has a NUL in its name: what the static server refused of such a path (its
    // own 403) is the 404 of any unknown path.
    if (path.includes('%00') && isDocsPath(path) && !(err instanceof PlatformError)) return unknown;
    // Nor one with a `.` or `..` segment (encoded or not), `//` or `\`: the static server refuses
    // to serve such a path (it stays refused); the answer is the 404 of any unknown path.
    if (isDocsPath(path) && isStaticRefusal(err)) return unknown;
    if (!(err instanceof NotFoundException) || request.routeOptions?.url) return err;
    // Only an origin-form path names a resource (the router reads `*users` as `/users`).
    const allowed = path.startsWith('/') ? this.routes.allowed(path) : [];
    // A path the router did not match for a method it has (an empty parameter: /api-keys/) is 404.
    if (allowed.length && !allowed.includes(request.method))
      return new PlatformError(
        PlatformErrorCode.MethodNotAllowed,
        `${request.method} is not allowed here; use ${allowed.join(', ')}.`,
        {
          headers: { Allow: allowHeader(allowed) },
        },
      );
    return unknown;
  }
}

/**
 * A path the static file server refused (FST_STATIC_FORBIDDEN_PATH, or @fastify/send's own 403),
 * which Nest's adapter hands on as an HttpException caused by it.
 */
function isStaticRefusal(err: unknown): boolean {
  const cause = err instanceof HttpException ? err.cause : err;
  const e = cause as { code?: unknown; name?: unknown; status?: unknown } | null | undefined;
  return e?.code === 'FST_STATIC_FORBIDDEN_PATH' || (e?.name === 'ForbiddenError' && e.status === 403);
}

/** Origin-form (`/path`) or absolute-form (`http://host/path`, which the router reads too). */
function isRoutableTarget(url: string): boolean {
  return url.startsWith('/') || /^[a-z][a-z\d+.-]*:\/\//i.test(url);
}

/** The one global filter: every error leaves as RFC 9457 problem+json with `code` and `request_id`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly responder: ProblemResponder) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.responder.send(ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), exception);
  }
}
