import { DomainError } from '#platform';

export enum TenancyDbErrorCode {
  Unavailable = 'TENANCY_DB_UNAVAILABLE',
  Timeout = 'TENANCY_DB_TIMEOUT',
  QueryFailed = 'TENANCY_DB_QUERY_FAILED',
  /** A unique or check constraint refused the write. */
  Conflict = 'TENANCY_DB_CONFLICT',
  MigrationFailed = 'TENANCY_DB_MIGRATION_FAILED',
}

export class TenancyDbError extends DomainError<TenancyDbErrorCode> {}
