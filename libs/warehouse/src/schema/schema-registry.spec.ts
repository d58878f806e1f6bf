import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from './schema-registry.js';

const CONFIGS = fileURLToPath(new URL('../../../../configs', import.meta.url));
const WAREHOUSE = `${CONFIGS}/warehouse`;
const CTX = { dataset: 'acme_local', central: 'organizations', orgSlug: 'acme' };

const CENTRAL_TABLES = [
  'org_alert_history',
  'org_api_keys',
  'org_audit_logs',
  'org_budget_allocations',
  'org_budgets',
  'org_chat_conversations',
  'org_chat_messages',
  'org_chat_settings',
  'org_chat_tool_calls',
  'org_cost_tracking',
  'org_hierarchy',
  'org_hierarchy_levels',
  'org_idempotency_keys',
  'org_integration_credentials',
  'org_meta_dq_results',
  'org_meta_pipeline_batch_runs',
  'org_meta_pipeline_runs',
  'org_meta_state_transitions',
  'org_meta_step_logs',
  'org_notification_channels',
  'org_notification_history',
  'org_notification_rules',
  'org_notification_summaries',
  'org_pipeline_configs',
  'org_pipeline_execution_queue',
  'org_profiles',
  'org_scheduled_alerts',
  'org_scheduled_pipeline_runs',
  'org_subscriptions',
  'org_usage_quotas',
];

// Column counts of data-model.md §2.2.
const ORG_TABLE_COLUMNS: Record<string, number> = {
  subscription_plans: 35,
  subscription_plan_costs_daily: 32,
  cost_data_standard_1_3: 101,
  contract_commitment_1_3: 32,
  genai_payg_pricing: 38,
  genai_payg_usage_raw: 29,
  genai_payg_costs_daily: 33,
  genai_commitment_pricing: 29,
  genai_commitment_usage_raw: 25,
  genai_commitment_costs_daily: 29,
  genai_infrastructure_pricing: 28,
  genai_infrastructure_usage_raw: 25,
  genai_infrastructure_costs_daily: 28,
  genai_usage_daily_unified: 34,
  genai_costs_daily_unified: 37,
  cloud_gcp_billing_raw_daily: 47,
  cloud_aws_billing_raw_daily: 49,
  cloud_azure_billing_raw_daily: 68,
  cloud_oci_billing_raw_daily: 46,
};

describe('SchemaRegistry on configs/warehouse', () => {
  const registry = SchemaRegistry.load(WAREHOUSE);

  it('loads exactly the 30 central tables of the bootstrap', () => {
    expect(registry.centralTables().map((t) => t.name)).toEqual(CENTRAL_TABLES);
  });

  it('loads exactly the 19 per-org tables with their reference column counts', () => {
    const counts = Object.fromEntries(registry.orgTables().map((t) => [t.name, t.fields.length]));
    expect(counts).toEqual(ORG_TABLE_COLUMNS);
  });

  it('reads from configsDir()/warehouse by default', () => {
    vi.stubEnv('CONFIGS_DIR', CONFIGS);
    try {
      expect(SchemaRegistry.load().centralTables()).toHaveLength(30);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('gives cost_data_standard_1_3 its 101 FOCUS columns, 22 of them REQUIRED, partitioned on ChargePeriodStart', () => {
    const cost = registry.orgTable('cost_data_standard_1_3');
    expect(cost.fields).toHaveLength(101);
    expect(cost.fields.filter((f) => f.mode === 'REQUIRED')).toHaveLength(22);
    expect(cost.fields[0]).toMatchObject({ name: 'BillingAccountId', type: 'STRING', mode: 'REQUIRED' });
    expect(cost.fields[100]).toMatchObject({ name: 'x_hierarchy_validated_at', type: 'TIMESTAMP' });
    expect(cost.fields.find((f) => f.name === 'BilledCost')).toMatchObject({
      type: 'NUMERIC',
      mode: 'REQUIRED',
    });
    expect(cost.timePartitioning).toEqual({ type: 'DAY', field: 'ChargePeriodStart' });
    expect(cost.clustering).toEqual([
      'SubAccountId',
      'ServiceProviderName',
      'ServiceCategory',
      'ChargeCategory',
    ]);
  });

  it('gives every central table a STRING org_slug column', () => {
    const missing = registry
      .centralTables()
      .filter((t) => !t.fields.some((f) => f.name === 'org_slug' && f.type === 'STRING'))
      .map((t) => t.name);
    expect(missing).toEqual([]);
  });

  it('gives every per-org table but the contract table a STRING x_org_slug column', () => {
    // contract_commitment_1_3 links to its tenant through x_sub_account_id (data-model.md §2.2).
    const missing = registry
      .orgTables()
      .filter((t) => !t.fields.some((f) => f.name === 'x_org_slug' && f.type === 'STRING'))
      .map((t) => t.name);
    expect(missing).toEqual(['contract_commitment_1_3']);
    expect(registry.orgTable('contract_commitment_1_3').fields.map((f) => f.name)).toContain(
      'x_sub_account_id',
    );
  });

  it('adds the display fingerprint, description and revocation time to org_api_keys', () => {
    const keys = registry.centralTable('org_api_keys');
    expect(keys.fields.slice(-3).map((f) => [f.name, f.type, f.mode])).toEqual([
      ['key_fingerprint', 'STRING', 'NULLABLE'],
      ['description', 'STRING', 'NULLABLE'],
      ['revoked_at', 'TIMESTAMP', 'NULLABLE'],
    ]);
    expect(keys.fields).toHaveLength(12);
  });

  it('keeps org_idempotency_keys at its four reference columns', () => {
    expect(registry.centralTable('org_idempotency_keys').fields.map((f) => f.name)).toEqual([
      'idempotency_key',
      'org_slug',
      'response_data',
      'created_at',
    ]);
  });

  it('names the unknown table and the known ones when a lookup misses', () => {
    expect(() => registry.centralTable('org_nope')).toThrow(
      /Unknown central table "org_nope"; known: .*org_profiles/,
    );
    expect(() => registry.orgTable('org_profiles')).toThrow(/Unknown org table "org_profiles"/);
    expect(() => registry.orgView('x_missing')).toThrow(/Unknown org view "x_missing"/);
  });

  it('hands out frozen schemas so one caller cannot change another caller’s tables', () => {
    const profiles = registry.centralTable('org_profiles');
    expect(() => profiles.fields.push({ name: 'x', type: 'STRING' })).toThrow(TypeError);
    expect(() => {
      profiles.fields[0].mode = 'NULLABLE';
    }).toThrow(TypeError);
    expect(registry.centralTable('org_profiles').fields[0].mode).toBe('REQUIRED');
  });
});

describe('SchemaRegistry per-org views', () => {
  const registry = SchemaRegistry.load(WAREHOUSE);

  it('loads the four per-org views of the reference', () => {
    expect(registry.orgViews().map((v) => v.name)).toEqual([
      'x_all_notifications',
      'x_notification_stats',
      'x_org_hierarchy',
      'x_pipeline_exec_logs',
    ]);
  });

  it('keeps the leading comment as the description and out of the SQL body', () => {
    const view = registry.orgView('x_org_hierarchy');
    expect(view.description).toMatch(
      /ordinary view here because the embedded engine has no materialized views/,
    );
    expect(view.sql.startsWith('SELECT')).toBe(true);
  });

  it('fills in every placeholder of every view', () => {
    for (const view of registry.orgViews()) {
      const sql = registry.expandView(view, CTX);
      expect(sql).not.toMatch(/\{(dataset|central|org_slug)\}/);
      expect(sql).toContain("org_slug = 'acme'");
      expect(sql).toContain('`organizations.');
    }
  });

  it('expands x_org_hierarchy to the current rows of the org', () => {
    const sql = registry.expandView('x_org_hierarchy', CTX);
    expect(sql).toMatch(
      /FROM `organizations\.org_hierarchy`\s+WHERE org_slug = 'acme'\s+AND end_date IS NULL$/,
    );
  });

  it('accepts a project-qualified central dataset', () => {
    const sql = registry.expandView('x_org_hierarchy', { ...CTX, central: 'my-project.organizations' });
    expect(sql).toContain('FROM `my-project.organizations.org_hierarchy`');
  });

  it.each([
    [
      'an org slug that would break out of the string literal',
      { ...CTX, orgSlug: "acme' OR '1'='1" },
      /org slug/,
    ],
    ['a dataset containing a backtick', { ...CTX, dataset: 'acme`; DROP' }, /Invalid dataset/],
    ['a central dataset with a space', { ...CTX, central: 'organizations x' }, /Invalid central dataset/],
  ])('refuses to expand with %s', (_what, ctx, message) => {
    expect(() => registry.expandView('x_org_hierarchy', ctx)).toThrow(message);
  });
});
