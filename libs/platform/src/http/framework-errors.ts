import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PLATFORM_ERRORS, PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { requestIdFor } from './request-id.js';
import { securityHeaders } from './security-headers.js';

/** How the platform answers a request: its response headers, then the problem+json of an error. */
export interface RequestAnswerer {
  headers(request: FastifyRequest, reply: FastifyReply): void;
  problem(request: FastifyRequest, reply: FastifyReply, err: unknown): void;
  /** Counts and logs an answered request, as the onResponse hook does for the others. */
  finished(request: FastifyRequest, reply: FastifyReply, latencyMs: number): void;
  /** Counts and logs a request refused before it was parsed (no method, route or headers to tell). */
  refused(status: number, requestId: string, reason: string): void;
  /**
   * Notes the status a request was refused with mid-body, or the server timed it out with
   * (`timedOut`), counted and logged as it ends.
   */
  cutShort(response: ServerResponse, status: number, timedOut?: boolean): void;
}

/** How a request the server cut short ended: the status it is counted with, and why. */
export interface CutShort {
  status: number;
  timedOut: boolean | undefined;
}

/** A request the server's idle timeout cut off while its handler was at work (Cloud Run's status for it). */
const GATEWAY_TIMEOUT = 504;
/** A request the server's idle timeout cut off while it was still arriving (nginx's client_body_timeout). */
const REQUEST_TIMEOUT = 408;

/**
 * The errors Fastify and Node answer before any route or hook runs, as problem+json like every
 * other error (Fastify's own bodies were plain JSON without `code`, `request_id` or the security
 * headers, and echoed the whole URL back):
 * - `frameworkErrors` (FastifyAdapter option): a URL the router refuses, a path parameter longer
 *   than `maxParamLength` (414) or a malformed percent-encoding (400). Answered through the
 *   platform's own header and problem path once `registerHttpPlatform` has attached it.
 * - `clientErrorHandler`: a request Node's HTTP parser refuses before there is a request at all:
 *   headers over the server's limit (431), a request too slow to arrive (408), malformed HTTP
 *   (400). Written to the socket, which is then closed, as Node itself does.
 */
export class FrameworkErrors {
  private answerer: RequestAnswerer | undefined;
  private readonly rawHeaders: string;
  private readonly headerPairs: [string, string][];

  constructor(isProduction: boolean, apiVersion: string) {
    this.headerPairs = [['x-api-version', apiVersion], ...securityHeaders(isProduction).api].map(
      ([name, value]) => [name, value],
    );
    this.rawHeaders = this.headerPairs.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  }

  attach(answerer: RequestAnswerer): void {
    this.answerer = answerer;
  }

  readonly onRouterError = (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const error =
      err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new PlatformError(PlatformErrorCode.UriTooLong, 'A path segment of this URL is too long.')
        : new PlatformError(
            PlatformErrorCode.BadRequest,
            'The URL is not valid (malformed percent-encoding).',
          );
    if (!this.answerer) {
      reply.code(PLATFORM_ERRORS[error.code].status).send({ detail: error.message });
      return;
    }
    const answerer = this.answerer;
    // Fastify starts no reply clock for a request its router refused (elapsedTime stays 0): this
    // answer is timed from here, right after the request line and headers were read.
    const started = performance.now();
    answerer.headers(request, reply);
    // The router answers outside the route hooks, so the platform's onSend does not add it here,
    // and its onResponse does not run either: the request is counted and logged when it ends.
    reply.header('x-process-time', '0.0000');
    reply.raw.once('close', () => answerer.finished(request, reply, performance.now() - started));
    answerer.problem(request, reply, error);
  };

  /**
   * A request whose `Expect` is not 100-continue (Node's 'checkExpectation'): Node would answer an
   * empty 417 itself, and the request never reaches Fastify.
   */
  readonly onCheckExpectation = (req: IncomingMessage, res: ServerResponse): void => {
    const code = PlatformErrorCode.ExpectationFailed;
    const spec = PLATFORM_ERRORS[code];
    const requestId = requestIdFor(req);
    const detail = 'Only the expectation 100-continue is supported.';
    const body = JSON.stringify(buildProblem(code, spec, detail, requestId));
    res.writeHead(spec.status, {
      'x-request-id': requestId,
      ...Object.fromEntries(this.headerPairs),
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
    req.resume();
    this.answerer?.refused(spec.status, requestId, detail);
  };

  readonly onClientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
    if (err.code === 'ECONNRESET' || socket.destroyed || (socket as RefusingSocket)[REFUSING]) return;
    const [code, detail] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [
            PlatformErrorCode.HeadersTooLarge,
            'The request headers (URL included) are larger than this server accepts.',
          ]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [PlatformErrorCode.RequestTimeout, 'The request did not arrive in time.']
          : [PlatformErrorCode.BadRequest, 'The request is not valid HTTP.'];
    const spec = PLATFORM_ERRORS[code];
    const requestId = randomUUID();
    const body = JSON.stringify(buildProblem(code, spec, detail, requestId));
    const answer =
      `HTTP/1.1 ${spec.status} ${http.STATUS_CODES[spec.status]}\r\n` +
      `x-request-id: ${requestId}\r\n${this.rawHeaders}` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`;
    const pending = pendingResponse(socket);
    // The request whose body the error is in: the last one parsed, if it has not arrived whole.
    const last = lastParsed(socket);
    const inBody = last?.complete === false ? last : undefined;
    if (pending !== undefined && pending.req !== inBody && err.code !== 'HPE_INVALID_EOF_STATE') {
      // HTTP/1.1 pipelining: the error is in a request queued behind the one being answered (a new
      // request, or the body of one whose answer waits its turn). Its refusal was written in place
      // of the earlier answer, which was then cut off and counted with this refusal's status, and
      // the malformed request by no one. The answers before it are given first, in order (RFC 9112
      // §9.3.2), then its refusal; it is counted once: with its route as its answer's turn comes
      // if its headers were parsed, else now. Further errors of the connection's parser (more
      // bytes after the malformed ones) are not answered again.
      (socket as RefusingSocket)[REFUSING] = true;
      if (!inBody) this.answerer?.refused(spec.status, requestId, detail);
      refuseAfter(pending, socket, answer, err, (response) => {
        if (response.req === inBody) this.answerer?.cutShort(response, spec.status);
      });
      return;
    }
    // Unless a response on this socket has begun (its bytes would be corrupted), as Node's own
    // handler does: a kept-alive connection whose earlier responses ended gets its answer too
    // (counting the socket's bytes written left a client reusing one with nothing but a reset).
    if (socket.writable && pending?.headersSent !== true) socket.write(answer);
    // A request whose headers were parsed and whose answer has not begun (its body cut off or
    // malformed) is counted and logged once, as it ends, with its route: as 499 if its client hung
    // up, else with this refusal's status; not once more as a request refused before parsing.
    if (pending === undefined || pending.headersSent) this.answerer?.refused(spec.status, requestId, detail);
    else if (err.code !== 'HPE_INVALID_EOF_STATE') this.answerer?.cutShort(pending, spec.status);
    socket.destroy(err);
  };

  /**
   * The server's 'timeout' (its idle timeout, CONNECTION_IDLE_TIMEOUT_MS, Fastify's
   * connectionTimeout): the connection is closed, as Node does when nobody listens. A request in
   * progress on it was counted and logged as 499, its client blamed for the server's hang-up. It is
   * counted as 504 if it had arrived whole (the server was too slow to answer it: what Cloud Run and
   * load balancers log for a request that outlived their timeout, so it counts in the error rate),
   * as 408 if its body was still arriving (the client too slow to send it, as nginx logs a
   * client_body_timeout), or with its status if its answer had begun; `server_timed_out` in its line.
   */
  readonly onTimeout = (socket: Socket): void => {
    const pending = pendingResponse(socket);
    if (pending !== undefined && !pending.writableFinished) {
      const status = pending.headersSent
        ? pending.statusCode
        : pending.req.complete
          ? GATEWAY_TIMEOUT
          : REQUEST_TIMEOUT;
      this.answerer?.cutShort(pending, status, true);
    }
    socket.destroy();
  };
}

/** Marks a connection whose refusal waits for the answers before it (see onClientError). */
const REFUSING = Symbol('refusing');
type RefusingSocket = Socket & { [REFUSING]?: true };

/**
 * Writes `answer` and closes the connection once `response` and every answer queued after it have
 * ended, or once the connection is handed to the answer of the malformed request (`cut` is told).
 */
function refuseAfter(
  response: ServerResponse,
  socket: Socket,
  answer: string,
  err: Error,
  cut: (response: ServerResponse) => void,
): void {
  // 'close' follows Node's own 'finish' handler, which hands the connection to the next queued answer.
  response.once('close', () => {
    if (socket.destroyed) return;
    const next = pendingResponse(socket);
    if (next !== undefined && next !== response && next.req.complete) {
      refuseAfter(next, socket, answer, err, cut);
      return;
    }
    if (next !== undefined && next !== response) cut(next);
    if (socket.writable) socket.write(answer);
    socket.destroy(err);
  });
}

/**
 * The request the connection's parser read last, once its headers were read (`socket.parser.incoming`,
 * Node's internal field, as its own timeout handler reads it), until the next one's are.
 */
function lastParsed(socket: Socket): IncomingMessage | undefined {
  return (
    (socket as Socket & { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming ??
    undefined
  );
}

/**
 * The response of the request `socket` is serving, until it ends (`socket._httpMessage`, what Node's
 * own clientError answer checks: one whose headers were sent must not be corrupted).
 */
function pendingResponse(socket: Socket): ServerResponse | undefined {
  // Node's internal field, read as its own handler reads it; there is no public equivalent.
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}
