import { DomainError, type DomainErrorOptions } from '#platform';

export enum TenancyDbErrorCode {
  Unavailable = 'TENANCY_DB_UNAVAILABLE',
  Timeout = 'TENANCY_DB_TIMEOUT',
  QueryFailed = 'TENANCY_DB_QUERY_FAILED',
  /** A unique or check constraint refused the write. */
  Conflict = 'TENANCY_DB_CONFLICT',
  MigrationFailed = 'TENANCY_DB_MIGRATION_FAILED',
}

/** Database facts a repository may branch on; kept off `extra` so they never reach a response body. */
export interface TenancyDbErrorInfo {
  /** The Postgres SQLSTATE, when the database answered. */
  sqlState?: string;
  /** The violated constraint (for Conflict), e.g. `organizations_org_slug_key`. */
  constraint?: string;
}

export class TenancyDbError extends DomainError<TenancyDbErrorCode> {
  readonly sqlState?: string;
  readonly constraint?: string;

  constructor(
    code: TenancyDbErrorCode,
    detail: string,
    options: DomainErrorOptions = {},
    info: TenancyDbErrorInfo = {},
  ) {
    super(code, detail, options);
    this.sqlState = info.sqlState;
    this.constraint = info.constraint;
  }
}
