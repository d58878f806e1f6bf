import { DomainError } from './domain-error.js';
import { type ErrorCatalog, OUTAGE_RETRY_AFTER_SECONDS, type ProblemSpec } from './problem.js';

/** Codes raised by the platform itself (auth, validation, routing, limits). */
export enum PlatformErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  BadRequest = 'BAD_REQUEST',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  NotFound = 'NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  UriTooLong = 'URI_TOO_LONG',
  HeadersTooLarge = 'HEADERS_TOO_LARGE',
  RequestTimeout = 'REQUEST_TIMEOUT',
  ExpectationFailed = 'EXPECTATION_FAILED',
  RootKeyRequired = 'ROOT_KEY_REQUIRED',
  RootKeyInvalid = 'ROOT_KEY_INVALID',
  RootKeyNotConfigured = 'ROOT_KEY_NOT_CONFIGURED',
  ApiKeyRequired = 'API_KEY_REQUIRED',
  ApiKeyInvalid = 'API_KEY_INVALID',
  ApiKeyExpired = 'API_KEY_EXPIRED',
  AuthRequired = 'AUTH_REQUIRED',
  OrgForbidden = 'ORG_FORBIDDEN',
  InsufficientScope = 'INSUFFICIENT_SCOPE',
  Forbidden = 'FORBIDDEN',
  RateLimited = 'RATE_LIMITED',
  AuthUnavailable = 'AUTH_SERVICE_UNAVAILABLE',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL_ERROR',
}

export class PlatformError extends DomainError<PlatformErrorCode> {}

export const PLATFORM_ERRORS: Record<PlatformErrorCode, ProblemSpec> = {
  [PlatformErrorCode.ValidationFailed]: { status: 422, title: 'Request validation failed' },
  [PlatformErrorCode.MalformedJson]: { status: 400, title: 'Malformed JSON body' },
  [PlatformErrorCode.BadRequest]: { status: 400, title: 'Bad request' },
  [PlatformErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [PlatformErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [PlatformErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [PlatformErrorCode.MethodNotAllowed]: { status: 405, title: 'Method not allowed' },
  [PlatformErrorCode.UriTooLong]: { status: 414, title: 'URI too long' },
  [PlatformErrorCode.HeadersTooLarge]: { status: 431, title: 'Request header fields too large' },
  [PlatformErrorCode.RequestTimeout]: { status: 408, title: 'Request timeout' },
  [PlatformErrorCode.ExpectationFailed]: { status: 417, title: 'Expectation failed' },
  [PlatformErrorCode.RootKeyRequired]: { status: 401, title: 'Root API key required' },
  [PlatformErrorCode.RootKeyInvalid]: { status: 403, title: 'Invalid root API key' },
  [PlatformErrorCode.RootKeyNotConfigured]: { status: 503, title: 'Root API key not configured' },
  [PlatformErrorCode.ApiKeyRequired]: { status: 401, title: 'API key required' },
  [PlatformErrorCode.ApiKeyInvalid]: { status: 401, title: 'Invalid or inactive API key' },
  [PlatformErrorCode.ApiKeyExpired]: { status: 401, title: 'API key has expired' },
  [PlatformErrorCode.AuthRequired]: { status: 401, title: 'Authentication required' },
  [PlatformErrorCode.OrgForbidden]: { status: 403, title: 'Access to this organization is denied' },
  [PlatformErrorCode.InsufficientScope]: { status: 403, title: 'API key lacks the required scope' },
  [PlatformErrorCode.Forbidden]: { status: 403, title: 'Forbidden' },
  [PlatformErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
  [PlatformErrorCode.AuthUnavailable]: {
    status: 503,
    title: 'Authentication service unavailable',
    retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS,
  },
  [PlatformErrorCode.ServiceUnavailable]: { status: 503, title: 'Service unavailable', expected: true },
  [PlatformErrorCode.Internal]: { status: 500, title: 'Internal server error' },
} satisfies ErrorCatalog;

/** The 429 of every rate limit: `Retry-After` in whole seconds (at least 1) and the limit. */
export function rateLimited(limit: number, timeToBlockExpire: number, what = 'requests'): PlatformError {
  const seconds = Math.max(1, Math.ceil(timeToBlockExpire));
  return new PlatformError(
    PlatformErrorCode.RateLimited,
    `Rate limit of ${limit} ${what} exceeded; retry in ${seconds} s.`,
    {
      headers: { 'Retry-After': String(seconds) },
      extra: { retry_after_seconds: seconds, limit },
    },
  );
}
