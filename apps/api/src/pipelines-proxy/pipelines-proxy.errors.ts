import { DomainError, type ProblemSpec } from '#platform';

/** The pipeline service's answer or failure, as this API reports it (upstream status kept where it can be). */
export enum PipelinesProxyErrorCode {
  CircuitOpen = 'CIRCUIT_OPEN',
  Timeout = 'PIPELINE_SERVICE_TIMEOUT',
  Unreachable = 'PIPELINE_SERVICE_UNREACHABLE',
  BadGateway = 'PIPELINE_SERVICE_BAD_GATEWAY',
  ServiceError = 'PIPELINE_SERVICE_ERROR',
  ServiceUnavailable = 'PIPELINE_SERVICE_UNAVAILABLE',
  RequestRejected = 'PIPELINE_REQUEST_REJECTED',
  Unauthorized = 'PIPELINE_UNAUTHORIZED',
  Forbidden = 'PIPELINE_FORBIDDEN',
  NotFound = 'PIPELINE_NOT_FOUND',
  Conflict = 'PIPELINE_CONFLICT',
  Unprocessable = 'PIPELINE_VALIDATION_FAILED',
  RateLimited = 'PIPELINE_RATE_LIMITED',
}

export class PipelinesProxyError extends DomainError<PipelinesProxyErrorCode> {}

export const PIPELINES_PROXY_ERRORS: Record<PipelinesProxyErrorCode, ProblemSpec> = {
  [PipelinesProxyErrorCode.CircuitOpen]: {
    status: 503,
    title: 'The pipeline service is failing; calls are paused (circuit open)',
    expected: true,
  },
  [PipelinesProxyErrorCode.Timeout]: { status: 504, title: 'The pipeline service did not answer in time' },
  [PipelinesProxyErrorCode.Unreachable]: { status: 502, title: 'Failed to connect to the pipeline service' },
  [PipelinesProxyErrorCode.BadGateway]: { status: 502, title: 'The pipeline service answered with an error' },
  [PipelinesProxyErrorCode.ServiceError]: { status: 500, title: 'The pipeline service failed' },
  [PipelinesProxyErrorCode.ServiceUnavailable]: { status: 503, title: 'The pipeline service is unavailable' },
  [PipelinesProxyErrorCode.RequestRejected]: {
    status: 400,
    title: 'The pipeline service rejected the request',
  },
  [PipelinesProxyErrorCode.Unauthorized]: { status: 401, title: 'The pipeline service refused the API key' },
  [PipelinesProxyErrorCode.Forbidden]: { status: 403, title: 'The pipeline service refused the run' },
  [PipelinesProxyErrorCode.NotFound]: { status: 404, title: 'Pipeline not found' },
  [PipelinesProxyErrorCode.Conflict]: { status: 409, title: 'The pipeline service reported a conflict' },
  [PipelinesProxyErrorCode.Unprocessable]: {
    status: 422,
    title: 'The pipeline service refused the parameters',
  },
  [PipelinesProxyErrorCode.RateLimited]: { status: 429, title: 'Pipeline rate limit or quota exceeded' },
};

/** The code reporting an upstream answer with this status. */
export function codeForUpstreamStatus(status: number): PipelinesProxyErrorCode {
  switch (status) {
    case 400:
      return PipelinesProxyErrorCode.RequestRejected;
    case 401:
      return PipelinesProxyErrorCode.Unauthorized;
    case 403:
      return PipelinesProxyErrorCode.Forbidden;
    case 404:
      return PipelinesProxyErrorCode.NotFound;
    case 409:
      return PipelinesProxyErrorCode.Conflict;
    case 422:
      return PipelinesProxyErrorCode.Unprocessable;
    case 429:
      return PipelinesProxyErrorCode.RateLimited;
    case 500:
      return PipelinesProxyErrorCode.ServiceError;
    case 503:
      return PipelinesProxyErrorCode.ServiceUnavailable;
    case 504:
      return PipelinesProxyErrorCode.Timeout;
    default:
      // Any other 4xx is still the caller's request refused; anything else is a broken upstream.
      return status >= 400 && status < 500
        ? PipelinesProxyErrorCode.RequestRejected
        : PipelinesProxyErrorCode.BadGateway;
  }
}
