/** The requests the OpenAPI conformance suite sends: at least one to every documented operation. */

export type Auth = 'root' | 'key' | 'none';

/** One request to an operation, as the dashboard would send it, and the status it must answer. */
export interface Call {
  op: string;
  status: number;
  auth?: Auth;
  /** Values of the path's parameters other than {org} (the suite's org). */
  path?: Record<string, string>;
  org?: string;
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export const UNKNOWN_ORG = 'zz_no_such_org';
const NO_IMPORT = '00000000-0000-4000-8000-000000000000';
const NO_KEY_HASH = '0'.repeat(64);
const COSTS = '/api/v1/costs/{org}';
const TRIGGER = { provider: 'gcp', domain: 'cost', pipeline: 'billing' };

/**
 * Every operation called at least once, successes and the refusals users meet, in order (some
 * calls change state the next ones read). The pipeline service is a local fake that starts runs.
 */
export const CALLS: Call[] = [
  { op: 'get /', status: 200, auth: 'none' },
  { op: 'get /health', status: 200, auth: 'none' },
  { op: 'get /health/live', status: 200, auth: 'none' },
  { op: 'get /health/ready', status: 200, auth: 'none' },
  { op: 'get /metrics', status: 200, auth: 'none' },
  { op: 'get /api/v1/admin/bootstrap/status', status: 200, query: 'force_refresh=true' },
  { op: 'post /api/v1/admin/bootstrap', status: 409, body: {} },
  { op: 'post /api/v1/admin/bootstrap/sync', status: 200, body: {} },
  { op: 'get /api/v1/admin/audit-logs/{org}', status: 200, query: 'action=CREATE&limit=5' },
  { op: 'get /api/v1/organizations/{org}/api-key', status: 200, auth: 'key' },
  { op: 'get /api/v1/organizations/{org}/api-key', status: 404, org: UNKNOWN_ORG },
  { op: 'post /api/v1/organizations/{org}/api-key/rotate', status: 404, org: UNKNOWN_ORG, body: {} },
  { op: 'post /api/v1/admin/api-keys', status: 404, body: { org_slug: UNKNOWN_ORG } },
  { op: 'delete /api/v1/admin/api-keys/{hash}', status: 404, path: { hash: NO_KEY_HASH } },
  { op: 'post /api/v1/admin/organizations/{org}/regenerate-api-key', status: 404, org: UNKNOWN_ORG },
  { op: 'get /api/v1/admin/dev/api-key/{org}', status: 200 },
  { op: 'get /api/v1/organizations/{org}/quota', status: 200, auth: 'key' },
  { op: 'post /api/v1/quota/reset-daily', status: 200 },
  { op: 'post /api/v1/admin/quota/reset-daily', status: 200 },
  { op: 'post /api/v1/quota/reset-monthly', status: 200 },
  { op: 'post /api/v1/admin/quota/reset-monthly', status: 200 },
  { op: 'post /api/v1/quota/cleanup-stale', status: 200 },
  { op: 'post /api/v1/admin/quota/cleanup-stale', status: 200 },
  { op: 'get /api/v1/validator/pipelines', status: 200, auth: 'none', query: 'enabled_only=true' },
  {
    op: 'get /api/v1/validator/pipelines/{pipeline_id}',
    status: 200,
    auth: 'none',
    path: { pipeline_id: 'subscription_costs' },
  },
  {
    op: 'get /api/v1/validator/pipelines/{pipeline_id}',
    status: 404,
    auth: 'none',
    path: { pipeline_id: 'no_such_pipeline' },
  },
  {
    op: 'post /api/v1/validator/validate/{org}',
    status: 200,
    auth: 'key',
    body: { pipeline_id: 'subscription_costs', pipeline_logging_id: 'conformance-run' },
  },
  {
    op: 'post /api/v1/validator/validate/{org}',
    status: 403,
    auth: 'key',
    body: { pipeline_id: 'subscription_costs', include_credentials: true },
  },
  {
    op: 'post /api/v1/validator/heartbeat/{org}',
    status: 200,
    auth: 'key',
    body: { pipeline_logging_id: 'conformance-run', ttl_seconds: 600 },
  },
  {
    op: 'post /api/v1/validator/heartbeat/{org}',
    status: 404,
    auth: 'key',
    body: { pipeline_logging_id: 'no-such-run' },
  },
  {
    op: 'post /api/v1/validator/complete/{org}',
    status: 200,
    auth: 'key',
    body: { pipeline_logging_id: 'conformance-run', pipeline_status: 'SUCCESS' },
  },
  // The run just completed: its reservation holds no slot any more (RESERVATION_NOT_LIVE).
  {
    op: 'post /api/v1/validator/heartbeat/{org}',
    status: 409,
    auth: 'key',
    body: { pipeline_logging_id: 'conformance-run' },
  },
  {
    op: 'post /api/v1/validator/complete/{org}',
    status: 404,
    auth: 'key',
    query: 'pipeline_status=FAILED&pipeline_logging_id=no-such-run',
    body: {},
  },
  {
    op: 'post /api/v1/organizations/dryrun',
    status: 200,
    body: { org_slug: 'conformance_dry', company_name: 'Dry Run Inc', admin_email: 'a@dry.example' },
  },
  { op: 'get /api/v1/organizations', status: 200, query: 'page=1&page_size=10&status=ACTIVE' },
  { op: 'get /api/v1/organizations/{org}/status', status: 200 },
  { op: 'post /api/v1/organizations/{org}/sync', status: 200, body: {} },
  { op: 'post /api/v1/organizations/{org}/sync', status: 404, org: UNKNOWN_ORG, body: {} },
  { op: 'get /api/v1/organizations/{org}/members/emails', status: 200, query: 'role=owner' },
  { op: 'get /api/v1/organizations/{org}/members/emails', status: 404, org: UNKNOWN_ORG },
  { op: 'get /api/v1/organizations/{org}/locale', status: 200, auth: 'key' },
  { op: 'get /api/v1/organizations/{org}/locale', status: 404, org: UNKNOWN_ORG },
  {
    op: 'put /api/v1/organizations/{org}/locale',
    status: 200,
    auth: 'key',
    body: { default_timezone: 'UTC' },
  },
  {
    op: 'put /api/v1/organizations/{org}/locale',
    status: 404,
    org: UNKNOWN_ORG,
    body: { default_timezone: 'UTC' },
  },
  { op: 'get /api/v1/organizations/{org}/subscription', status: 200, auth: 'key' },
  { op: 'get /api/v1/organizations/{org}/subscription', status: 404, org: UNKNOWN_ORG },
  { op: 'put /api/v1/organizations/{org}/subscription', status: 200, body: { daily_limit: 50 } },
  { op: 'put /api/v1/organizations/{org}/subscription', status: 404, org: UNKNOWN_ORG, body: {} },
  { op: 'post /api/v1/{org}/repair-tables', status: 200 },
  { op: 'post /api/v1/{org}/repair-tables', status: 404, org: UNKNOWN_ORG },
  { op: 'post /api/v1/admin/organizations', status: 200, body: { org_slug: 'conformance_legacy' } },
  { op: 'post /api/v1/admin/organizations', status: 409, body: { org_slug: 'conformance_legacy' } },
  { op: 'get /api/v1/admin/organizations/{org}', status: 200 },
  { op: 'get /api/v1/admin/organizations/{org}', status: 404, org: UNKNOWN_ORG },
  {
    op: 'post /api/v1/admin/organizations/{org}/costs/import',
    status: 415,
    auth: 'key',
    headers: { 'content-type': 'application/xml' },
    body: '<nope/>',
  },
  { op: 'get /api/v1/admin/organizations/{org}/costs/import/{id}', status: 404, path: { id: NO_IMPORT } },
  { op: 'get /api/v1/pipelines/status/{org}', status: 200, auth: 'key' },
  { op: 'get /api/v1/pipelines/{org}/runs', status: 200, auth: 'key', query: 'limit=5' },
  { op: 'get /api/v1/pipelines/{org}/runs/{id}', status: 404, auth: 'key', path: { id: 'no-such-run' } },
  {
    op: 'get /api/v1/pipelines/{org}/runs/{id}/steps',
    status: 200,
    auth: 'key',
    path: { id: 'no-such-run' },
  },
  {
    op: 'post /api/v1/pipelines/{org}/runs/{id}/retry',
    status: 404,
    auth: 'key',
    path: { id: 'no-such-run' },
  },
  {
    op: 'get /api/v1/pipelines/{org}/runs/{id}/download',
    status: 404,
    auth: 'key',
    path: { id: 'no-such-run' },
    query: 'format=csv',
  },
  {
    op: 'get /api/v1/pipelines/{org}/runs/{id}/transitions',
    status: 200,
    auth: 'key',
    path: { id: 'no-such-run' },
    query: 'entity_type=STEP',
  },
  { op: 'get /api/v1/pipelines/{org}/batch-runs', status: 200, auth: 'key' },
  { op: 'get /api/v1/pipelines/metrics/cache', status: 200, auth: 'key' },
  {
    op: 'post /api/v1/pipelines/trigger/{org}/{provider}/{domain}/{pipeline}',
    status: 200,
    auth: 'key',
    path: TRIGGER,
    body: {},
  },
  {
    op: 'post /api/v1/pipelines/run/{org}/{provider}/{domain}/{pipeline}',
    status: 200,
    auth: 'key',
    path: TRIGGER,
    body: {},
  },
  {
    op: 'post /api/v1/pipelines/run/{org}/{category}/{provider}/{domain}/{pipeline}',
    status: 200,
    auth: 'key',
    path: { category: 'cloud', ...TRIGGER },
    body: {},
  },
  { op: 'post /api/v1/admin/pipelines/run-all', status: 200, body: { dry_run: true } },
  { op: 'post /api/v1/admin/pipelines/run-all', status: 404, body: { org_slug: UNKNOWN_ORG } },
  ...['', '/summary', '/by-provider', '/by-service', '/trend', '/trend-granular', '/total'].map(
    (route): Call => ({ op: `get ${COSTS}${route}`, status: 200, auth: 'key' }),
  ),
  ...['/subscriptions', '/cloud', '/genai'].map((route): Call => ({
    op: `get ${COSTS}${route}`,
    status: 200,
    auth: 'key',
    query: 'limit=10',
  })),
  { op: `get ${COSTS}/summary`, status: 404, org: UNKNOWN_ORG },
  { op: `get ${COSTS}/cache/stats`, status: 200, auth: 'key' },
  { op: `post ${COSTS}/cache/invalidate`, status: 200, auth: 'key' },
  {
    op: 'post /api/v1/organizations/onboard',
    status: 409,
    body: { org_slug: '{org}', company_name: 'Again Inc', admin_email: 'a@b.example' },
  },
  { op: 'delete /api/v1/organizations/{org}', status: 400, body: { confirm_org_slug: 'zz_other_org' } },
  {
    op: 'delete /api/v1/organizations/{org}',
    status: 404,
    org: UNKNOWN_ORG,
    body: { confirm_org_slug: UNKNOWN_ORG },
  },
];
