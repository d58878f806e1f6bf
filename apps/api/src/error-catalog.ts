import { CRYPTO_ERRORS } from '#crypto';
import { PLATFORM_ERRORS, type ErrorCatalog } from '#platform';
import { TenancyDbErrorCode } from '#tenancy-db';
import { WarehouseErrorCode } from '#warehouse';
import { ADMIN_ERRORS } from './admin/admin.errors.js';
import { IDEMPOTENCY_ERRORS } from './idempotency/idempotency.errors.js';
import { API_KEY_ERRORS } from './api-keys/api-keys.errors.js';
import { PIPELINE_VALIDATOR_ERRORS } from './pipeline-validator/pipeline-validator.errors.js';
import { QUOTA_ERRORS } from './quota/quota.errors.js';
import { ORGANIZATIONS_ERRORS } from './organizations/organizations.errors.js';
import { COSTS_ERRORS } from './costs/costs.errors.js';
import { COST_IMPORT_ERRORS } from './cost-import/cost-import.errors.js';
import { PIPELINE_LOGS_ERRORS } from './pipeline-logs/pipeline-logs.errors.js';
import { PIPELINES_PROXY_ERRORS } from './pipelines-proxy/pipelines-proxy.errors.js';
import { ADMIN_PIPELINES_ERRORS } from './admin-pipelines/admin-pipelines.errors.js';

/** Engine failures: the client learns the dependency is unavailable, never its internals. */
const WAREHOUSE_ERRORS: Record<WarehouseErrorCode, { status: number; title: string }> = {
  [WarehouseErrorCode.UnsupportedSql]: { status: 500, title: 'Internal server error' },
  [WarehouseErrorCode.Timeout]: { status: 504, title: 'The warehouse did not answer in time' },
  [WarehouseErrorCode.Unavailable]: { status: 503, title: 'The warehouse is unavailable' },
  [WarehouseErrorCode.BytesLimitExceeded]: {
    status: 422,
    title: 'The query would scan more data than allowed',
  },
  [WarehouseErrorCode.QueryFailed]: { status: 500, title: 'Internal server error' },
  [WarehouseErrorCode.NotFound]: { status: 404, title: 'Not found' },
};

const TENANCY_DB_ERRORS: Record<TenancyDbErrorCode, { status: number; title: string }> = {
  [TenancyDbErrorCode.Unavailable]: { status: 503, title: 'The tenancy database is unavailable' },
  [TenancyDbErrorCode.Timeout]: { status: 504, title: 'The tenancy database did not answer in time' },
  [TenancyDbErrorCode.QueryFailed]: { status: 500, title: 'Internal server error' },
  [TenancyDbErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [TenancyDbErrorCode.MigrationFailed]: { status: 500, title: 'Internal server error' },
};

/** Every domain error code of every module, mapped to its HTTP status and title: the one place. */
export const ERROR_CATALOG: ErrorCatalog = {
  ...PLATFORM_ERRORS,
  ...WAREHOUSE_ERRORS,
  ...TENANCY_DB_ERRORS,
  ...CRYPTO_ERRORS,
  ...ADMIN_ERRORS,
  ...IDEMPOTENCY_ERRORS,
  ...API_KEY_ERRORS,
  ...QUOTA_ERRORS,
  ...PIPELINE_VALIDATOR_ERRORS,
  ...ORGANIZATIONS_ERRORS,
  ...COST_IMPORT_ERRORS,
  ...PIPELINE_LOGS_ERRORS,
  ...PIPELINES_PROXY_ERRORS,
  ...ADMIN_PIPELINES_ERRORS,
  ...COSTS_ERRORS,
};
