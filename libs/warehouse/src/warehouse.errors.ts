import { DomainError } from '#platform';

export enum WarehouseErrorCode {
  /** The DuckDB driver met BigQuery SQL outside the documented subset (message names the construct). */
  UnsupportedSql = 'WAREHOUSE_UNSUPPORTED_SQL',
  Timeout = 'WAREHOUSE_TIMEOUT',
  Unavailable = 'WAREHOUSE_UNAVAILABLE',
  BytesLimitExceeded = 'WAREHOUSE_BYTES_LIMIT_EXCEEDED',
  QueryFailed = 'WAREHOUSE_QUERY_FAILED',
  NotFound = 'WAREHOUSE_NOT_FOUND',
}

export class WarehouseError extends DomainError<WarehouseErrorCode> {}
