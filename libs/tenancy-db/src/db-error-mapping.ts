import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

/** Socket-level failures: the server is not there (or went away), not that the query was wrong. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Messages pg and PGlite use for a lost or unusable connection; they carry no code. */
const CONNECTION_LOST = [
  /connection terminated/i,
  // pg's query_timeout: the server left a statement unanswered (a silent network, see PgTenancyDb).
  /query read timeout/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /pool after calling end/i,
  /pglite is closed/i,
];

/**
 * SQLSTATEs meaning "cannot use the database now": connection exceptions (class 08), shutdown and
 * start-up (57P0x), too many connections, rejected credentials or a missing database (a
 * misconfiguration, but still nothing a caller can fix by changing the query).
 */
function isUnavailableSqlState(sqlState: string): boolean {
  return (
    sqlState.startsWith('08') ||
    ['57P01', '57P02', '57P03', '53300', '28000', '28P01', '3D000'].includes(sqlState)
  );
}

const DETAIL: Record<TenancyDbErrorCode, string> = {
  [TenancyDbErrorCode.Unavailable]: 'The tenancy database is unavailable.',
  [TenancyDbErrorCode.Timeout]: 'The tenancy database did not answer in time.',
  [TenancyDbErrorCode.Conflict]: 'The write conflicts with an existing row or a constraint.',
  [TenancyDbErrorCode.QueryFailed]: 'The tenancy database rejected the query.',
  [TenancyDbErrorCode.MigrationFailed]: 'A tenancy database migration failed.',
};

/**
 * A serialization failure (40001) or a deadlock (40P01): Postgres rolled the transaction back
 * whole to let a concurrent one through, and says to send it again. Unavailable (503 with
 * Retry-After: nothing was done), not a rejected query (a 500 that reads as a bug); the connection
 * itself is fine.
 */
const LOST_TO_CONCURRENCY = new Set(['40001', '40P01']);

export function codeForSqlState(sqlState: string): TenancyDbErrorCode {
  if (sqlState === '23505' || sqlState === '23514') return TenancyDbErrorCode.Conflict;
  if (LOST_TO_CONCURRENCY.has(sqlState)) return TenancyDbErrorCode.Unavailable;
  // 57014 is also a manual cancel; the drivers only cancel through statement_timeout.
  if (sqlState === '57014') return TenancyDbErrorCode.Timeout;
  if (isUnavailableSqlState(sqlState)) return TenancyDbErrorCode.Unavailable;
  return TenancyDbErrorCode.QueryFailed;
}

/** `duplicate key value violates unique constraint "x"` → `x` (PostgREST only sends the message). */
export function constraintFromMessage(message: string): string | undefined {
  return /constraint "([^"]+)"/.exec(message)?.[1];
}

export function tenancyDbError(
  code: TenancyDbErrorCode,
  cause: unknown,
  info: { sqlState?: string; constraint?: string } = {},
): TenancyDbError {
  return new TenancyDbError(code, DETAIL[code], { cause }, info);
}

function field(err: object, name: string): string | undefined {
  const value = (err as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The statement failed for want of its connection (a timeout, a cut socket), not for its SQL. */
export function connectionLost(err: unknown): boolean {
  const mapped = mapDriverError(err);
  return (
    mapped.code === TenancyDbErrorCode.Unavailable &&
    !(mapped.sqlState !== undefined && LOST_TO_CONCURRENCY.has(mapped.sqlState))
  );
}

/**
 * Maps a pg or PGlite failure to a TenancyDbError. The detail is fixed text: driver messages can
 * quote values or addresses, so they travel only as `cause`, which is logged, never returned.
 */
export function mapDriverError(err: unknown): TenancyDbError {
  if (err instanceof TenancyDbError) return err;
  if (typeof err !== 'object' || err === null) return tenancyDbError(TenancyDbErrorCode.QueryFailed, err);
  const code = field(err, 'code');
  // Node's happy-eyeballs connect reports every refused address inside one AggregateError.
  const inner = err instanceof AggregateError ? err.errors.map((e: unknown) => mapDriverError(e).code) : [];
  if (
    (code !== undefined && NETWORK_ERROR_CODES.has(code)) ||
    inner.includes(TenancyDbErrorCode.Unavailable)
  ) {
    return tenancyDbError(TenancyDbErrorCode.Unavailable, err);
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const constraint = field(err, 'constraint');
    return tenancyDbError(codeForSqlState(code), err, { sqlState: code, constraint });
  }
  const message = err instanceof Error ? err.message : '';
  if (CONNECTION_LOST.some((pattern) => pattern.test(message))) {
    return tenancyDbError(TenancyDbErrorCode.Unavailable, err);
  }
  return tenancyDbError(TenancyDbErrorCode.QueryFailed, err);
}
