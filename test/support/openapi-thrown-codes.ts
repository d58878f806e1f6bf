/**
 * The domain codes each operation's own code can answer (beside the auth, input, limit and engine
 * codes the document derives for every route), found where each module throws them: the document
 * must name each under the status the error catalog maps it to.
 */
const TRIGGER_CODES = [
  'PIPELINE_REQUEST_REJECTED',
  'PIPELINE_UNAUTHORIZED',
  'PIPELINE_FORBIDDEN',
  'PIPELINE_NOT_FOUND',
  'PIPELINE_CONFLICT',
  'PIPELINE_VALIDATION_FAILED',
  'PIPELINE_RATE_LIMITED',
  'PIPELINE_SERVICE_ERROR',
  'PIPELINE_SERVICE_UNREACHABLE',
  'PIPELINE_SERVICE_BAD_GATEWAY',
  'CIRCUIT_OPEN',
  'PIPELINE_SERVICE_UNAVAILABLE',
  'PIPELINE_SERVICE_TIMEOUT',
];
const LIFECYCLE = ['ONBOARDING_IN_PROGRESS'];
const QUIESCED = [...LIFECYCLE, 'ORG_CHANGES_IN_PROGRESS'];
const ORGS = '/api/v1/organizations';
const PIPELINES = '/api/v1/pipelines';

export const THROWN_CODES: Record<string, string[]> = {
  [`post ${ORGS}/onboard`]: [
    'ORG_EXISTS',
    'DATASET_EXISTS',
    'ORG_NOT_ACTIVE',
    'IDEMPOTENCY_KEY_REUSED',
    'IDEMPOTENCY_REQUEST_IN_PROGRESS',
    ...QUIESCED,
  ],
  'post /api/v1/admin/organizations': ['ORG_EXISTS', 'DATASET_EXISTS', ...LIFECYCLE],
  [`delete ${ORGS}/{org}`]: ['ORG_NOT_FOUND', 'CONFIRM_ORG_SLUG_MISMATCH', ...QUIESCED],
  [`post ${ORGS}/{org}/sync`]: ['ORG_NOT_FOUND', 'ORG_NOT_ACTIVE', ...LIFECYCLE],
  'post /api/v1/{org}/repair-tables': ['ORG_NOT_FOUND', ...LIFECYCLE],
  [`put ${ORGS}/{org}/locale`]: ['ORG_NOT_FOUND', 'ORG_LIFECYCLE_IN_PROGRESS'],
  [`put ${ORGS}/{org}/subscription`]: ['ORG_NOT_FOUND', 'ORG_LIFECYCLE_IN_PROGRESS'],
  [`post ${ORGS}/{org}/api-key/rotate`]: [
    'ORG_NOT_FOUND',
    'ORG_NOT_ACTIVE',
    'API_KEY_RETIRING',
    'API_KEY_OPERATION_IN_PROGRESS',
    'ORG_LIFECYCLE_IN_PROGRESS',
  ],
  'post /api/v1/admin/api-keys': [
    'ORG_NOT_FOUND',
    'ORG_NOT_ACTIVE',
    'API_KEY_EXISTS',
    'API_KEY_OPERATION_IN_PROGRESS',
    'ORG_LIFECYCLE_IN_PROGRESS',
  ],
  [`post ${PIPELINES}/trigger/{org}/{provider}/{domain}/{pipeline}`]: TRIGGER_CODES,
  [`post ${PIPELINES}/run/{org}/{provider}/{domain}/{pipeline}`]: TRIGGER_CODES,
  [`post ${PIPELINES}/run/{org}/{category}/{provider}/{domain}/{pipeline}`]: TRIGGER_CODES,
  [`post ${PIPELINES}/{org}/runs/{id}/retry`]: ['PIPELINE_RUN_NOT_FOUND', 'PIPELINE_RUN_NOT_RETRYABLE'],
  'post /api/v1/validator/heartbeat/{org}': ['RESERVATION_NOT_FOUND', 'RESERVATION_NOT_LIVE'],
  'post /api/v1/admin/organizations/{org}/costs/import': [
    'COST_IMPORT_ORG_NOT_PROVISIONED',
    'COST_IMPORT_PENDING',
    'COST_IMPORT_UPLOAD_TIMEOUT',
    'COST_IMPORT_KEY_REVOKED',
    'COST_IMPORT_FILE_TOO_LARGE',
    'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE',
    'COST_IMPORT_FILE_UNREADABLE',
    'COST_IMPORT_EMPTY_FILE',
    'COST_IMPORT_MISSING_COLUMNS',
    'COST_IMPORT_DUPLICATE_COLUMNS',
    'COST_IMPORT_TOO_MANY_PARTS',
    'COST_IMPORT_ROWS_INVALID',
    'COST_IMPORT_UPLOADS_BUSY',
  ],
};
