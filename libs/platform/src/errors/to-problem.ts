import { HttpException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { DomainError } from './domain-error.js';
import { PLATFORM_ERRORS, PlatformErrorCode } from './platform-errors.js';
import { buildProblem, type ErrorCatalog, type ProblemDetails, type ProblemSpec } from './problem.js';

export type ProblemLogLevel = 'error' | 'warn' | 'debug';

export interface ProblemResponse {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /**
   * How the answer is logged: `error` (with the stack) for a failure of the server, `warn` for a 5xx
   * given by design (see ProblemSpec.expected), `debug` for a request refused for what it is.
   */
  log: ProblemLogLevel;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

const FASTIFY_CODES: Record<string, PlatformErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: PlatformErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: PlatformErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_EMPTY_JSON_BODY: PlatformErrorCode.MalformedJson,
  FST_ERR_CTP_INVALID_JSON_BODY: PlatformErrorCode.MalformedJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: PlatformErrorCode.BadRequest,
};

function isFastifyError(e: unknown): e is FastifyLikeError {
  const fe = e as FastifyLikeError | undefined;
  return (
    !!fe && typeof fe.statusCode === 'number' && (typeof fe.code === 'string' || e instanceof SyntaxError)
  );
}

const STATUS_CODES: Record<number, PlatformErrorCode> = {
  400: PlatformErrorCode.BadRequest,
  401: PlatformErrorCode.AuthRequired,
  403: PlatformErrorCode.Forbidden,
  404: PlatformErrorCode.NotFound,
  405: PlatformErrorCode.MethodNotAllowed,
  413: PlatformErrorCode.PayloadTooLarge,
  415: PlatformErrorCode.UnsupportedMediaType,
  422: PlatformErrorCode.ValidationFailed,
  429: PlatformErrorCode.RateLimited,
  503: PlatformErrorCode.ServiceUnavailable,
};

const SAFE_FASTIFY_DETAIL: Partial<Record<PlatformErrorCode, string>> = {
  [PlatformErrorCode.MalformedJson]: 'The request body is not valid JSON.',
  [PlatformErrorCode.PayloadTooLarge]: 'The request body exceeds the size limit.',
  [PlatformErrorCode.UnsupportedMediaType]: 'This content type is not accepted; send application/json.',
  [PlatformErrorCode.BadRequest]: 'The request could not be read.',
};

/** The error's headers, with its code's Retry-After when it names none itself. */
function withRetryAfter(headers: Record<string, string>, spec: ProblemSpec): Record<string, string> {
  if (spec.retryAfterSeconds === undefined) return headers;
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) return headers;
  return { ...headers, 'Retry-After': String(spec.retryAfterSeconds) };
}

/** One mapping from anything thrown to a problem+json response; used by the Nest filter and Fastify. */
export function toProblem(
  err: unknown,
  requestId: string,
  catalog: ErrorCatalog,
  path?: string,
): ProblemResponse {
  const platform = (code: PlatformErrorCode, detail: string, extra: Record<string, unknown> = {}) =>
    buildProblem(code, PLATFORM_ERRORS[code], detail, requestId, {
      ...extra,
      ...(path ? { instance: path } : {}),
    });

  if (err instanceof DomainError) {
    const spec = catalog[err.code];
    if (spec) {
      // A server-side failure's own text may name files, keys or hosts: the client gets the title only.
      const detail = spec.status >= 500 && !err.publicDetail ? `${spec.title}.` : err.detail;
      return {
        problem: buildProblem(err.code, spec, detail, requestId, {
          ...err.extra,
          ...(path ? { instance: path } : {}),
        }),
        headers: withRetryAfter(err.headers, spec),
        log: spec.status < 500 ? 'debug' : spec.expected ? 'warn' : 'error',
      };
    }
    return {
      problem: platform(PlatformErrorCode.Internal, 'An unexpected error occurred.'),
      headers: {},
      log: 'error',
    };
  }

  if (err instanceof ThrottlerException) {
    return {
      problem: platform(
        PlatformErrorCode.RateLimited,
        'Rate limit exceeded; retry after the time in Retry-After.',
      ),
      headers: {},
      log: 'debug',
    };
  }

  // Nest wraps Fastify's own errors (body parsing, size limit) in an HttpException: use the original.
  if (err instanceof HttpException && isFastifyError(err.cause))
    return toProblem(err.cause, requestId, catalog, path);

  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code =
      STATUS_CODES[status] ?? (status >= 500 ? PlatformErrorCode.Internal : PlatformErrorCode.BadRequest);
    const body = err.getResponse();
    const message =
      typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? err.message);
    const detail =
      status >= 500
        ? 'An unexpected error occurred.'
        : Array.isArray(message)
          ? message.join('; ')
          : String(message);
    return {
      problem: { ...platform(code, detail), status },
      headers: {},
      log: status >= 500 ? 'error' : 'debug',
    };
  }

  const fe = err as FastifyLikeError;
  if (fe && typeof fe === 'object' && typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    const code =
      (fe.code && FASTIFY_CODES[fe.code]) ||
      (err instanceof SyntaxError ? PlatformErrorCode.MalformedJson : STATUS_CODES[fe.statusCode]) ||
      PlatformErrorCode.BadRequest;
    return {
      problem: {
        ...platform(code, SAFE_FASTIFY_DETAIL[code] ?? 'The request could not be processed.'),
        status: fe.statusCode,
      },
      headers: {},
      log: 'debug',
    };
  }

  return {
    problem: platform(PlatformErrorCode.Internal, 'An unexpected error occurred.'),
    headers: {},
    log: 'error',
  };
}
