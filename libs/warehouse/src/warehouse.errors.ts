import { DomainError } from '#platform';

export enum WarehouseErrorCode {
  /** The DuckDB driver met BigQuery SQL outside the documented subset (message names the construct). */
  UnsupportedSql = 'WAREHOUSE_UNSUPPORTED_SQL',
  Timeout = 'WAREHOUSE_TIMEOUT',
  Unavailable = 'WAREHOUSE_UNAVAILABLE',
  BytesLimitExceeded = 'WAREHOUSE_BYTES_LIMIT_EXCEEDED',
  QueryFailed = 'WAREHOUSE_QUERY_FAILED',
  NotFound = 'WAREHOUSE_NOT_FOUND',
  /** A frame's result has more rows than its `maxRows` (FrameOptions): refused before it is read. */
  ResultTooLarge = 'WAREHOUSE_RESULT_TOO_LARGE',
}

export class WarehouseError extends DomainError<WarehouseErrorCode> {}

/**
 * Refuses a frame of `rows` rows when that is more than `maxRows` (FrameOptions.maxRows). `rows`
 * may be a count that stopped at `maxRows + 1`, so the error names the bound, not the count.
 */
export function checkFrameRows(rows: number, maxRows: number | undefined): void {
  if (maxRows === undefined || rows <= maxRows) return;
  throw new WarehouseError(
    WarehouseErrorCode.ResultTooLarge,
    `The result has more than the ${maxRows} rows a frame may hold.`,
    { extra: { max_rows: maxRows } },
  );
}

/**
 * True for a write that timed out without its outcome known: its job was cancelled but not seen to
 * end, so it may have applied (BigQuery). Any other failed write applied nothing.
 */
export function writeOutcomeUnknown(err: unknown): boolean {
  return err instanceof WarehouseError && err.extra.write_outcome === 'unknown';
}
