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

/**
 * A DML statement that lost to a concurrent one changing the same partitions: BigQuery runs
 * mutating statements on a table side by side, retries a conflicting one itself a few times, then
 * fails its job as a whole (HTTP 400 invalidQuery, "Could not serialize access to table … due to
 * concurrent update"; in a transaction "Transaction is aborted due to concurrent update against
 * table …"), and tells the caller to run it again:
 * https://cloud.google.com/bigquery/docs/troubleshoot-queries#could_not_serialize_access_to_table_due_to_concurrent_update
 */
export function isConcurrentUpdate(err: unknown): boolean {
  return refusedWith(err, CONCURRENT_UPDATE);
}

/** An HTTP 400 whose message, or one of its errors' messages, matches `pattern`. */
function refusedWith(err: unknown, pattern: RegExp): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ApiErrorShape;
  const messages = [e.message, ...(Array.isArray(e.errors) ? e.errors.map((x) => x.message) : [])];
  return e.code === 400 && messages.some((m) => typeof m === 'string' && pattern.test(m));
}
const CONCURRENT_UPDATE = /due to concurrent update/i;
/** Runs of a write that lost to a concurrent one, in all (see isConcurrentUpdate). */
const CONFLICT_ATTEMPTS = 4;

/**
 * Runs a write again while it loses to concurrent DML on its table: its job failed as a whole,
 * changing nothing, so two requests updating one table at once both apply, as on the embedded
 * warehouse (which retries its own write-write conflicts), instead of one answering 500. A short
 * random pause, growing with each attempt, keeps the writers that collided from colliding again.
 */
export async function retryingConcurrentUpdates<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (attempt >= CONFLICT_ATTEMPTS || !isConcurrentUpdate(e)) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 250 * attempt));
    }
  }
}

/**
 * An UPDATE, DELETE or MERGE refused because it would change rows still in a table's streaming
 * buffer ("UPDATE or DELETE statement over table … would affect rows in the streaming buffer, which
 * is not supported"): rows another writer (the pipeline service) streamed in the last minutes,
 * which BigQuery lets no DML touch until it has flushed them, for up to about 90 minutes
 * (https://cloud.google.com/bigquery/docs/data-manipulation-language#limitations). Not a wrong
 * statement: sent again later, it applies.
 */
const hitsStreamingBuffer = (err: unknown) => refusedWith(err, STREAMING_BUFFER);
const STREAMING_BUFFER = /would affect rows in the streaming buffer/i;

function classify(
  status: number | undefined,
  reasons: string[],
  networkCode: string | undefined,
  err: unknown,
) {
  if (reasons.includes('bytesBilledLimitExceeded')) return WarehouseErrorCode.BytesLimitExceeded;
  if (reasons.includes('timeout')) return WarehouseErrorCode.Timeout;
  if (status === 404 || reasons.includes('notFound')) return WarehouseErrorCode.NotFound;
  if (networkCode || status === 429 || (status !== undefined && status >= 500))
    return WarehouseErrorCode.Unavailable;
  if (reasons.some((r) => UNAVAILABLE_REASONS.has(r))) return WarehouseErrorCode.Unavailable;
  // Still losing after the retries: busy, not wrong; sent again later, it applies.
  if (isConcurrentUpdate(err)) return WarehouseErrorCode.Unavailable;
  if (hitsStreamingBuffer(err)) return WarehouseErrorCode.Unavailable;
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
  const code = classify(status, reasons, networkCode, err);
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
