import { CRYPTO_ERRORS } from '#crypto';
import { OUTAGE_RETRY_AFTER_SECONDS, PLATFORM_ERRORS, type ErrorCatalog, type ProblemSpec } from '#platform';
import { TenancyDbErrorCode } from '#tenancy-db';
import { WarehouseErrorCode } from '#warehouse';
import { ADMIN_ERRORS } from './admin/admin.errors.js';
import { ORG_ERRORS } from './common/org-errors.js';
import { IDEMPOTENCY_ERRORS } from './idempotency/idempotency.errors.js';
import { API_KEY_ERRORS } from './api-keys/api-keys.errors.js';
import { PIPELINE_VALIDATOR_ERRORS } from './pipeline-validator/pipeline-validator.errors.js';
import { QUOTA_ERRORS } from './quota/quota.errors.js';
import { ORGANIZATIONS_ERRORS } from './organizations/organizations.errors.js';
import { COST_IMPORT_ERRORS } from './cost-import/cost-import.errors.js';
import { COSTS_ERRORS } from './costs/cost-row-out-of-range.error.js';
import { PIPELINE_LOGS_ERRORS } from './pipeline-logs/pipeline-logs.errors.js';
import { PIPELINES_PROXY_ERRORS } from './pipelines-proxy/pipelines-proxy.errors.js';

/** Engine failures: the client learns the dependency is unavailable, never its internals. */
const WAREHOUSE_ERRORS: Record<WarehouseErrorCode, ProblemSpec> = {
  [WarehouseErrorCode.UnsupportedSql]: { status: 500, title: 'Internal server error' },
  [WarehouseErrorCode.Timeout]: { status: 504, title: 'The warehouse did not answer in time' },
  [WarehouseErrorCode.Unavailable]: {
    status: 503,
    title: 'The warehouse is unavailable',
    retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS,
  },
  [WarehouseErrorCode.BytesLimitExceeded]: {
    status: 422,
    title: 'The query would scan more data than allowed',
  },
  [WarehouseErrorCode.QueryFailed]: { status: 500, title: 'Internal server error' },
  [WarehouseErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [WarehouseErrorCode.ResultTooLarge]: {
    status: 422,
    title: 'The query would return more rows than allowed',
  },
};

const TENANCY_DB_ERRORS: Record<TenancyDbErrorCode, ProblemSpec> = {
  [TenancyDbErrorCode.Unavailable]: {
    status: 503,
    title: 'The tenancy database is unavailable',
    retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS,
  },
  [TenancyDbErrorCode.Timeout]: { status: 504, title: 'The tenancy database did not answer in time' },
  [TenancyDbErrorCode.QueryFailed]: { status: 500, title: 'Internal server error' },
  [TenancyDbErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [TenancyDbErrorCode.MigrationFailed]: { status: 500, title: 'Internal server error' },
};

/**
 * Joins the modules' catalogs, refusing a code that two of them map differently: a code has one
 * meaning (status and title) across the API. Codes many modules raise live in common/; a module
 * may still name a code another one has (the proxy's upstream 404 and the validator's unknown
 * pipeline are both PIPELINE_NOT_FOUND) as long as the mapping is the same.
 */
export function joinCatalogs(...parts: ErrorCatalog[]): ErrorCatalog {
  const joined: ErrorCatalog = {};
  for (const part of parts)
    for (const [code, entry] of Object.entries(part)) {
      const other = joined[code];
      if (
        other &&
        (other.status !== entry.status ||
          other.title !== entry.title ||
          other.retryAfterSeconds !== entry.retryAfterSeconds)
      )
        throw new Error(`Error code ${code} is mapped differently by two modules; give it one meaning`);
      joined[code] = entry;
    }
  return joined;
}

/** Every domain error code of every module, mapped to its HTTP status and title: the one place. */
export const ERROR_CATALOG: ErrorCatalog = joinCatalogs(
  PLATFORM_ERRORS,
  WAREHOUSE_ERRORS,
  TENANCY_DB_ERRORS,
  CRYPTO_ERRORS,
  ORG_ERRORS,
  ADMIN_ERRORS,
  IDEMPOTENCY_ERRORS,
  API_KEY_ERRORS,
  QUOTA_ERRORS,
  PIPELINE_VALIDATOR_ERRORS,
  ORGANIZATIONS_ERRORS,
  COST_IMPORT_ERRORS,
  COSTS_ERRORS,
  PIPELINE_LOGS_ERRORS,
  PIPELINES_PROXY_ERRORS,
);
