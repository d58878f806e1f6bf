import type { ServerResponse } from 'node:http';
import { NotFoundException } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthService } from '../auth/auth.guards.js';
import { type ControllerRoute, controllerRoutes, type RouteAuthKind } from '../auth/controller-routes.js';
import type { AppConfig } from '../config/app-config.js';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';
import { AppThrottlerGuard } from '../throttling/app-throttler.guard.js';
import { rateLimitsBeforeBody } from '../throttling/limits-before-body.js';
import { noRouteError, ProblemDetailsFilter, ProblemResponder } from '../errors/problem-details.filter.js';
import type { ErrorCatalog } from '../errors/problem.js';
import { createValidationPipe } from '../errors/validation.js';
import { AccessLog } from '../logging/access-log.js';
import { BodyBudget, countedAsReceived, releaseWhenExchangeEnds } from './body-budget.js';
import { unsupportedEncoding } from './content-encoding.js';
import { registerCors } from './cors.js';
import type { CutShort, FrameworkErrors } from './framework-errors.js';
import type { HttpMetrics } from './http-metrics.js';
import { acceptEmptyJsonBodies } from './json-bodies.js';
import { allowHeader, RouteTable, urlPath } from './route-table.js';
import { QueryFreeRoutes } from './query-free-routes.js';
import { isDocsPath, securityHeaders } from './security-headers.js';
import { type ShutdownRouteConfig, ShutdownState } from './shutdown-state.js';

export { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from './cors.js';

export interface HttpPlatformDeps {
  config: AppConfig;
  catalog: ErrorCatalog;
  metrics: HttpMetrics;
  /** Route templates whose access-log lines are written at debug (health probes, scrapes). */
  quietRoutes?: Iterable<string>;
  /** The release every response names in `X-API-Version` (the `version` of /health). */
  apiVersion: string;
  /** The handlers given to Fastify for the errors it answers before any hook; answered here from now on. */
  frameworkErrors?: FrameworkErrors;
}

declare module 'fastify' {
  interface FastifyReply {
    /** Set once onResponse has counted and logged the exchange (a reply decoration, false until then). */
    accessLogged: boolean;
  }
}

const UNMATCHED = '(unmatched)';
/** The status logged and counted for a request whose client left before its answer began. */
const CLIENT_CLOSED_REQUEST = 499;
/** The status logged and counted for a streamed answer its own source failed after it began. */
const INTERNAL_SERVER_ERROR = 500;
/** Method and route of a request Node's parser refused: neither is known. */
const UNPARSED = '(unparsed)';
const noop = () => undefined;

/**
 * Everything HTTP-wide, registered before the routes: request ids, security headers, CORS, the
 * problem+json error path (Nest and Fastify alike), 404 vs 405, access logs and metrics.
 *
 * Every request pays for these hooks, so they are few and synchronous (an async hook costs a
 * promise and a microtask turn per request): one onRequest for the headers, one onSend for the
 * processing time (and the connection while closing), one onResponse for metrics and the access log.
 */
export async function registerHttpPlatform(
  app: NestFastifyApplication,
  deps: HttpPlatformDeps,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // The server's own router settings, so that 404 vs 405 follows what Fastify routes.
  const { ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive } = fastify.initialConfig;
  const routes = new RouteTable({ ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive });
  const responder = new ProblemResponder(deps.catalog, routes, (req, rep) => responseHeaders(req, rep));
  const accessLog = new AccessLog({ quietRoutes: deps.quietRoutes });
  const security = securityHeaders(deps.config.isProduction);
  const controllerRouteList = controllerRoutes(app.get(ModulesContainer));
  // A reply onResponse has logged is marked (a reply decoration: a WeakSet of every request made
  // each minor GC process an ephemeron per request): an in-process request (app.inject: the demo's
  // onboarding) never counts as written out (writableFinished), so its 'close' logged it again.
  const finished = (request: FastifyRequest, reply: FastifyReply, latencyMs = reply.elapsedTime) => {
    reply.accessLogged = true;
    const route = request.routeOptions.url ?? UNMATCHED;
    deps.metrics.observe(request.method, route, reply.statusCode, latencyMs / 1000);
    accessLog.write(request, reply, route, latencyMs);
  };
  // A client that hangs up before its answer has ended (a closed tab, a client's or a load
  // balancer's timeout) ends the exchange without 'finish', so onResponse never runs: the requests
  // slow enough to be given up on were neither logged nor counted. They are, once, as 499 (nginx's
  // "client closed request") or, for an answer already begun, with its status.
  // A streamed answer (a download) whose source failed after its status was sent is cut off by the
  // server, which ends the exchange the same way: it was counted as a 200 the client gave up on,
  // hiding the failure from the error rate. It is a 500 (what the client would have got earlier).
  const cutOff = new WeakSet<FastifyReply>();
  // Requests Node's parser refused mid-body (malformed, too slow), answered on the socket, or whose
  // connection the server's idle timeout closed (FrameworkErrors.onTimeout): their status.
  const refusedMidBody = new WeakMap<ServerResponse, CutShort>();
  const abandoned = (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.raw.writableFinished || reply.accessLogged) return;
    const failed = cutOff.has(reply);
    const refused = refusedMidBody.get(reply.raw);
    const status = failed
      ? INTERNAL_SERVER_ERROR
      : (refused?.status ?? (reply.raw.headersSent ? reply.statusCode : CLIENT_CLOSED_REQUEST));
    const route = request.routeOptions.url ?? UNMATCHED;
    deps.metrics.observe(request.method, route, status, reply.elapsedTime / 1000);
    accessLog.write(request, reply, route, reply.elapsedTime, {
      status,
      aborted: !failed && refused === undefined,
      timedOut: !failed && refused?.timedOut,
    });
  };

  // Declared, as Fastify asks of request properties, so every request object is built with them
  // instead of taking another shape when authentication sets them (the guards, the kept responses).
  fastify.decorateRequest('auth', null);
  fastify.decorateRequest('orgKeyHash', null);
  fastify.decorateRequest('orgKeyCheck', null);
  fastify.decorateRequest('rateLimitTracker', null);
  fastify.decorateRequest('rateLimitsCounted', false);
  fastify.decorateRequest('keyOrg', null);
  fastify.decorateReply('accessLogged', false);
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  acceptEmptyJsonBodies(app, fastify);
  const cors = await registerCors(app, deps.config.corsOrigins);

  // Graceful shutdown (the server closes first, see DrainFirstFastifyAdapter): a request still in
  // flight when closing starts gets its answer, and its keep-alive connection is then closed,
  // otherwise the server would wait for the client to hang up. A request that arrives on such a
  // connection meanwhile is refused as a problem+json 503 (with its request id) rather than with
  // Fastify's own return503OnClosing body, unless its route answers while closing (/health/live).
  const shutdown = app.get(ShutdownState, { strict: false });
  fastify.addHook('preClose', (done) => {
    shutdown.begin();
    done();
  });

  const responseHeaders = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-api-version', deps.apiVersion);
    const headers = isDocsPath(request.url) ? security.docs : security.api;
    for (let i = 0; i < headers.length; i++) reply.header(headers[i][0], headers[i][1]);
  };
  deps.frameworkErrors?.attach({
    // The router answers before the request hooks: its errors get their CORS headers here, so a
    // dashboard page can read them (@fastify/cors's hook is synchronous for a list of origins).
    headers: (request, reply) => {
      responseHeaders(request, reply);
      if (request.headers.origin !== undefined && request.method !== 'OPTIONS')
        cors.hook(request, reply, noop);
      else for (const [name, value] of cors.withoutOrigin) reply.header(name, value);
    },
    problem: (request, reply, err) => responder.send(request, reply, err),
    finished,
    refused: (status, requestId, reason) => {
      deps.metrics.observe(UNPARSED, UNPARSED, status, 0);
      accessLog.refused(fastify.log, status, requestId, reason);
    },
    cutShort: (response, status, timedOut) => refusedMidBody.set(response, { status, timedOut }),
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.once('close', () => abandoned(request, reply));
    responseHeaders(request, reply);
    if (
      shutdown.shuttingDown &&
      !(request.routeOptions.config as ShutdownRouteConfig | undefined)?.answersWhileClosing
    ) {
      // Answered here rather than passed on: the error handler of a route registered before the
      // app's (@fastify/cors' OPTIONS route) would answer in Fastify's own format. With the CORS
      // headers of an actual request: without them a dashboard page saw a network error, not the
      // 503 and its Retry-After.
      for (const [name, value] of cors.actual(request.headers.origin)) reply.header(name, value);
      responder.send(
        request,
        reply,
        new PlatformError(
          PlatformErrorCode.ServiceUnavailable,
          'This instance is shutting down; retry the request.',
          {
            headers: { 'Retry-After': '1' },
          },
        ),
      );
      return;
    }
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      // RFC 9112 §3.2 (the server lets it through to answer it here; see app.factory).
      responder.send(
        request,
        reply,
        new PlatformError(PlatformErrorCode.BadRequest, 'An HTTP/1.1 request must carry a Host header.'),
      );
      return;
    }
    if (request.method === 'OPTIONS' && !isPreflight(request)) {
      // Not a CORS preflight (@fastify/cors answered those with a text/plain 400, an
      // Access-Control-Request-Method without an Origin or an empty one included): a plain OPTIONS
      // asks what the resource takes (RFC 9110 §9.3.7), answered with Allow, or 404 problem+json,
      // with the CORS headers of an actual request (a page's fetch with method OPTIONS).
      const path = urlPath(request.url);
      for (const [name, value] of cors.actual(request.headers.origin)) reply.header(name, value);
      const allowed = routes.allowed(path);
      if (!allowed.length) responder.send(request, reply, noRouteError('OPTIONS', path));
      else reply.code(204).header('allow', allowHeader(allowed)).send();
      return;
    }
    if (request.headers.origin !== undefined || request.method === 'OPTIONS') {
      cors.hook(request, reply, done);
      return;
    }
    for (let i = 0; i < cors.withoutOrigin.length; i++)
      reply.header(cors.withoutOrigin[i][0], cors.withoutOrigin[i][1]);
    done();
  });

  // Before the body is read (and before any other request hook, an upload's included): a request
  // without the credentials its route needs is refused at once, so a client without a valid key
  // cannot make the server read and parse bodies of up to the body limit. An org key is
  // authenticated here (looked up if this instance does not know it yet), and one that is unknown,
  // revoked or expired, or names another org, is refused (AuthService.refusalBeforeBody,
  // refusalAfterLookup), and so is a wrong root key (wrongRootKey; both count as failed
  // authentications of their address). A body in a coding its route does not read: 415, unparsed.
  const authOf = routeAuthKinds(controllerRouteList);
  const auth = app.get(AuthService, { strict: false });
  // Rate limits next, for a request with a body that nothing refused: one they refuse is not read.
  const countLimits = rateLimitsBeforeBody(
    app.get(AppThrottlerGuard, { strict: false }),
    controllerRouteList,
  );
  const limitsThenDone = (
    request: FastifyRequest,
    reply: FastifyReply,
    refusal: Error | null | undefined,
    done: (err?: Error) => void,
  ): void => {
    if (refusal || !hasBody(request)) done(refusal ?? undefined);
    else countLimits(request, reply).then(() => done(), done);
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    // Also a write without a body: an upload route checks its media type as the request arrives,
    // which must not answer a caller without credentials first (415 where it is 401).
    if (!hasBody(request) && !BODY_METHODS.has(request.method)) {
      done();
      return;
    }
    if (request.routeOptions.url === undefined) {
      // No route (404, or 405 for a known path): its answer does not depend on the body, which
      // Fastify would otherwise buffer (up to the body limit, for as long as it takes to arrive)
      // and parse, for anyone. The refusal is sent now, and the connection closed after it
      // rather than kept to read and discard the rest of the body.
      if (!hasBody(request)) done();
      else {
        reply.header('connection', 'close');
        done(new NotFoundException());
      }
      return;
    }
    const kind = authOf.get(`${request.method} ${request.routeOptions.url}`);
    // A wrong root key first, as the guards judge it: on an org-only route without an org key it
    // was answered 401 API_KEY_REQUIRED here, uncounted, where a GET (the guard) answered 403 and
    // counted it as a failed authentication.
    const refusal = kind
      ? (auth.wrongRootKey(request) ??
        auth.refusalBeforeLookup(request, kind) ??
        auth.refusalBeforeBody(request, kind))
      : undefined;
    if (refusal || !kind || !auth.needsLookupBeforeBody(request, kind)) {
      limitsThenDone(request, reply, refusal ?? unsupportedEncoding(request), done);
      return;
    }
    auth
      .refusalAfterLookup(request, kind)
      .then((late) => limitsThenDone(request, reply, late ?? unsupportedEncoding(request), done), done);
  });

  // A JSON body is held whole until it has arrived: their bytes are counted from here (after the
  // credentials were checked) until the exchange ends, and one that does not fit is refused unread
  // (one sent chunked, as its bytes arrive).
  const bodies = new BodyBudget(fastify.initialConfig.bodyLimit ?? BODY_LIMIT_DEFAULT);
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (!hasBody(request) || !isJsonBody(request)) {
      done(null, payload);
      return;
    }
    const length = Number(request.headers['content-length']);
    // The caller as the rate limits know it (a known key, else the address), worked out once.
    const reserved = bodies.reserve(
      auth.rateLimitTracker(request, authOf.get(`${request.method} ${request.routeOptions.url}`)),
      Number.isFinite(length) ? length : undefined,
    );
    if (reserved instanceof PlatformError) {
      done(reserved, payload);
      return;
    }
    releaseWhenExchangeEnds(request.raw, reply.raw, reserved.release);
    done(null, Number.isFinite(length) ? payload : countedAsReceived(payload, reserved));
  });

  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (isStream(payload)) payload.once('error', () => cutOff.add(reply));
    // The reference's X-Process-Time: seconds from the request's arrival to its answer.
    reply.header('x-process-time', (reply.elapsedTime / 1000).toFixed(4));
    if (shutdown.shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    finished(request, reply);
    done();
  });

  // Nest installs Fastify's error handler itself and routes parser errors to this global filter.
  app.useGlobalFilters(new ProblemDetailsFilter(responder));
  app.useGlobalPipes(createValidationPipe()).useGlobalInterceptors(new QueryFreeRoutes(controllerRouteList));
}

/** The auth kind of every controller route, by `METHOD /template` (Fastify's route name). */
function routeAuthKinds(routes: readonly ControllerRoute[]): Map<string, RouteAuthKind> {
  const kinds = new Map<string, RouteAuthKind>();
  for (const r of routes) if (r.auth && r.auth !== 'public') kinds.set(r.route, r.auth);
  return kinds;
}

/**
 * A CORS preflight (Fetch standard §4.8): an OPTIONS naming its Origin and the method it asks for.
 * Anything less is what @fastify/cors' strict preflight check refuses with its own text/plain 400.
 */
const isPreflight = (request: FastifyRequest) =>
  !!request.headers.origin && !!request.headers['access-control-request-method'];

/** A Node stream payload, which Fastify pipes to the response (ending it early if it fails). */
const isStream = (payload: unknown): payload is NodeJS.ReadableStream =>
  typeof (payload as { pipe?: unknown } | null)?.pipe === 'function';

/** Fastify's own default, should the server's configuration not name one. */
const BODY_LIMIT_DEFAULT = 1024 * 1024;

/** A body Fastify's JSON parser takes, and so buffers whole (the uploads' parser streams). */
const isJsonBody = (request: FastifyRequest) =>
  /^\s*application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '');

/** The methods whose requests may carry a body. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a body follows the request's headers (HTTP/1.1: a length or a chunked transfer). */
const hasBody = (request: FastifyRequest) => {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
};
