import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';

/**
 * Thrown internally when a query outlives its time limit; always mapped to WAREHOUSE_TIMEOUT.
 * `writeOutcomeUnknown`: a write whose cancelled job was not seen to end (it may yet commit).
 */
export class DeadlineExceeded extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly writeOutcomeUnknown = false,
  ) {
    super(`no answer within ${timeoutMs} ms${writeOutcomeUnknown ? ', the write may still apply' : ''}`);
  }
}

const DETAIL: Record<WarehouseErrorCode, string> = {
  [WarehouseErrorCode.Timeout]: 'The warehouse query did not finish within its time limit.',
  [WarehouseErrorCode.BytesLimitExceeded]:
    'The warehouse query would scan more data than it is allowed to bill.',
  [WarehouseErrorCode.NotFound]: 'A warehouse dataset or table was not found.',
  [WarehouseErrorCode.Unavailable]: 'The warehouse is unavailable.',
  [WarehouseErrorCode.QueryFailed]: 'The warehouse query failed.',
  [WarehouseErrorCode.UnsupportedSql]: 'The warehouse query uses unsupported SQL.',
  [WarehouseErrorCode.ResultTooLarge]: 'The warehouse query would return more rows than allowed.',
};

/**
 * Thrown internally for a write whose call failed without an answer about its job (a transport
 * error, a 5xx) and whose job was not seen to end: it may still commit. `cause`: that failure.
 */
export class WriteOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('the write may still apply', { cause });
  }
}

/** True when BigQuery answered about the statement itself (a 4xx other than 429): no write came of it. */
export function answeredByJob(err: unknown): boolean {
  const status = typeof err === 'object' && err !== null ? (err as ApiErrorShape).code : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}

/**
 * Reasons of a failure that says nothing of the statement: sent again, it may succeed. A job that
 * failed inside BigQuery comes as HTTP 400 jobBackendError or jobInternalError from jobs.query and
 * getQueryResults, which BigQuery's error table tells callers to retry with a new job.
 */
const UNAVAILABLE_REASONS = new Set([
  'backendError',
  'internalError',
  'jobBackendError',
  'jobInternalError',
  'rateLimitExceeded',
  'quotaExceeded',
]);
const NETWORK_CODES = /^(E[A-Z]+|UND_ERR_\w+)$/;

interface ApiErrorShape {
  code?: unknown;
  message?: unknown;
  errors?: { reason?: string; message?: string }[];
}

function classify(status: number | undefined, reasons: string[], networkCode: string | undefined) {
  if (reasons.includes('bytesBilledLimitExceeded')) return WarehouseErrorCode.BytesLimitExceeded;
  if (reasons.includes('timeout')) return WarehouseErrorCode.Timeout;
  if (status === 404 || reasons.includes('notFound')) return WarehouseErrorCode.NotFound;
  if (networkCode || status === 429 || (status !== undefined && status >= 500))
    return WarehouseErrorCode.Unavailable;
  if (reasons.some((r) => UNAVAILABLE_REASONS.has(r))) return WarehouseErrorCode.Unavailable;
  return WarehouseErrorCode.QueryFailed;
}

/**
 * Maps a client-library failure to a WarehouseError with a fixed user-facing detail. The cause
 * is rebuilt from status, reasons and BigQuery's message only: the library's ApiError carries the
 * HTTP response, whose request options include the Authorization header, so it is never kept.
 * Parameter values BigQuery may echo in its message (`secrets`) are scrubbed from the cause too.
 */
export function toWarehouseError(err: unknown, operation: string, secrets: string[] = []): WarehouseError {
  if (err instanceof WarehouseError) return err;
  if (err instanceof WriteOutcomeUnknown) {
    const mapped = toWarehouseError(err.cause, operation, secrets);
    return new WarehouseError(mapped.code, mapped.detail, {
      cause: mapped.cause,
      extra: { ...mapped.extra, write_outcome: 'unknown' },
    });
  }
  if (err instanceof DeadlineExceeded)
    return new WarehouseError(WarehouseErrorCode.Timeout, DETAIL[WarehouseErrorCode.Timeout], {
      cause: new Error(`BigQuery ${operation}: ${err.message}`),
      extra: { timeout_ms: err.timeoutMs, ...(err.writeOutcomeUnknown ? { write_outcome: 'unknown' } : {}) },
    });
  const e = (typeof err === 'object' && err !== null ? err : {}) as ApiErrorShape;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const networkCode = typeof e.code === 'string' && NETWORK_CODES.test(e.code) ? e.code : undefined;
  const reasons = (Array.isArray(e.errors) ? e.errors : []).flatMap((x) => (x.reason ? [x.reason] : []));
  const code = classify(status, reasons, networkCode);
  let message = networkCode ? 'network failure' : String(e.message ?? 'unknown failure');
  for (const secret of secrets) message = message.split(secret).join('[param]');
  const summary = [status && `HTTP ${status}`, networkCode, reasons.join(',')].filter(Boolean).join(' ');
  return new WarehouseError(code, DETAIL[code], {
    cause: new Error(`BigQuery ${operation}: ${summary}: ${message}`),
  });
}

/** True when the failure is an HTTP `status` answer (used for 404 / 409 / 412 handling). */
export function hasStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as ApiErrorShape).code === status;
}
