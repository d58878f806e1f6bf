import { Global, Module } from '@nestjs/common';
import { COST_CACHE_OPTIONS, type CostCacheOptions } from '#analytics';
import { param, type QueryParams, type Warehouse } from '#warehouse';
import { TEST_HIERARCHY } from './focus-rows.js';

/**
 * Every cost route against an independent computation: DuckDB SQL over the same FOCUS rows,
 * summing the NUMERIC columns exactly and rounding with ROUND(NUMERIC, 2) (half away from zero),
 * with the category rules restated as SQL. Random filters and periods from a fixed seed.
 */
export const TODAY = '2025-06-15';
export const NOW = Date.parse(`${TODAY}T09:30:00Z`);
export const MONTH_START = '2025-06-01';
export const DAYS_IN_MONTH = 30;

@Global()
@Module({
  providers: [
    { provide: COST_CACHE_OPTIONS, useValue: { clock: { now: () => NOW } } satisfies CostCacheOptions },
  ],
  exports: [COST_CACHE_OPTIONS],
})
export class FixedClockModule {}

export const SRC = `LOWER(TRIM(COALESCE(x_source_system, '')))`;
export const PROV = `LOWER(TRIM(COALESCE(ServiceProviderName, '')))`;
export const CAT = `LOWER(TRIM(COALESCE(ServiceCategory, '')))`;
/** The provider (or, with `of`, another column) names one of `names` as whole words. */
export const names = (values: string[], of = PROV) =>
  `REGEXP_CONTAINS(${of}, r'(^|[^a-z0-9])(${values.join('|').replaceAll('.', '\\.')})($|[^a-z0-9])')`;
export const CATEGORY_SQL = `CASE
  WHEN ${SRC} IN ('subscription_costs_daily', 'subscription_costs', 'subscription_plan_costs_daily') THEN 'subscription'
  WHEN ${SRC} IN ('genai_costs', 'genai_costs_daily', 'genai_costs_daily_unified', 'genai_payg_costs_daily',
    'genai_commitment_costs_daily', 'genai_infrastructure_costs_daily') THEN 'genai'
  WHEN ${SRC} IN ('cloud_gcp_billing', 'cloud_aws_billing', 'cloud_azure_billing', 'cloud_oci_billing', 'cloud_gcp_billing_raw_daily',
    'cloud_aws_billing_raw_daily', 'cloud_azure_billing_raw_daily', 'cloud_oci_billing_raw_daily') THEN 'cloud'
  WHEN ${names(['openai', 'anthropic', 'google ai', 'cohere', 'mistral', 'gemini', 'claude', 'deepseek', 'azure openai', 'aws bedrock', 'vertex ai', 'groq', 'perplexity', 'huggingface'])}
    OR ${CAT} IN ('genai', 'llm', 'ai/ml', 'ai and machine learning', 'ai') OR ${names(['genai', 'llm'], SRC)} THEN 'genai'
  WHEN ${names(['gcp', 'aws', 'azure', 'google', 'amazon', 'microsoft', 'oci', 'oracle', 'google cloud', 'amazon web services', 'microsoft azure'])}
    OR ${names(['cloud', 'gcp', 'aws', 'azure', 'oci'], SRC)}
    OR ${CAT} IN ('cloud', 'compute', 'storage', 'networking', 'database', 'databases') THEN 'cloud'
  WHEN ${CAT} IN ('subscription', 'saas', 'software') THEN 'subscription'
  ELSE 'other' END`;

export interface Scenario {
  start?: string;
  end?: string;
  providers?: string[];
  categories?: string[];
  entity?: { param: string; id: string };
  path?: string;
}

export function scenarios(count: number): Scenario[] {
  let seed = 42; // Park–Miller: the same scenarios on every run
  const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => random() < 0.4).slice(0, 3);
  const day = (from: number, span: number) =>
    new Date(Date.parse('2024-01-01T00:00:00Z') + Math.floor(from + random() * span) * 86_400_000)
      .toISOString()
      .slice(0, 10);
  // Fixed cases first: the default period, prefix-sharing paths and ids, a whole-range provider.
  const out: Scenario[] = [
    {},
    { path: '/DEPT-1' },
    { entity: { param: 'department_id', id: 'DEPT-1' }, start: '2024-01-01', end: '2025-12-31' },
    { providers: ['Google', 'Oracle'], start: '2024-01-01', end: TODAY },
    // Mid-month: the run rate spreads month to date over the 6 days covered, not the 15 elapsed.
    { start: '2025-06-10', end: '2025-07-31' },
  ];
  while (out.length < count) {
    const s: Scenario = {};
    if (random() < 0.7) {
      s.start = day(0, 450);
      s.end = day((Date.parse(s.start) - Date.parse('2024-01-01')) / 86_400_000, 250);
    }
    if (random() < 0.4)
      s.providers = some(['AWS', 'Google Cloud', 'OpenAI', 'Google', 'Slack', 'Datadog', 'Oracle']);
    if (random() < 0.3)
      s.categories = some(['Compute', 'Storage', 'SaaS', 'genai', 'AI and Machine Learning']);
    if (random() < 0.4)
      s.entity = {
        param: pick(['department_id', 'project_id', 'team_id', 'hierarchy_entity_id']),
        id: pick(TEST_HIERARCHY).id,
      };
    else if (random() < 0.3) s.path = pick(TEST_HIERARCHY).path + (random() < 0.5 ? '/' : '');
    out.push(s);
  }
  return out;
}

export function query(s: Scenario): string {
  const q = new URLSearchParams();
  if (s.start && s.end) {
    q.set('start_date', s.start);
    q.set('end_date', s.end);
  }
  if (s.providers?.length) q.set('providers', s.providers.join(','));
  if (s.categories?.length) q.set('service_categories', s.categories.join(','));
  if (s.entity) q.set(s.entity.param, s.entity.id);
  if (s.path) q.set('hierarchy_path', s.path);
  return q.toString();
}

export function period(s: Scenario): { start: string; end: string } {
  if (s.start && s.end) return { start: s.start, end: s.end < TODAY ? s.end : TODAY };
  return { start: '2025-04-01', end: TODAY }; // fiscal year to date, April start
}

/** Rows of the scenario (and an extra condition) as a WHERE clause with its parameters. */
export function where(s: Scenario, range = period(s), extra = ''): { sql: string; params: QueryParams } {
  const clauses = ['DATE(ChargePeriodStart) BETWEEN @start AND @end'];
  const params: QueryParams = { start: param.date(range.start), end: param.date(range.end) };
  if (s.providers?.length) {
    clauses.push('ServiceProviderName IN UNNEST(@providers)');
    params.providers = param.stringArray(s.providers);
  }
  if (s.categories?.length) {
    clauses.push('ServiceCategory IN UNNEST(@cats)');
    params.cats = param.stringArray(s.categories);
  }
  if (s.entity) {
    clauses.push(
      `(x_hierarchy_entity_id = @entity OR REGEXP_CONTAINS(x_hierarchy_path, CONCAT('(^|/)', @entity, '(/|$)')))`,
    );
    params.entity = s.entity.id;
  }
  if (s.path) {
    clauses.push(`(x_hierarchy_path = @path OR STARTS_WITH(x_hierarchy_path, CONCAT(@path, '/')))`);
    params.path = s.path.replace(/\/$/, '');
  }
  if (extra) clauses.push(extra);
  return { sql: clauses.join(' AND '), params };
}

export const MONEY = `ROUND(SUM(BilledCost), 2) AS billed, ROUND(SUM(EffectiveCost), 2) AS effective,
  ROUND(SUM(BilledCost - EffectiveCost), 2) AS savings, COUNT(*) AS n`;
export const num = (v: unknown) => Number(v ?? 0);

export const daysFrom = (start: string, end: string) =>
  Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000) + 1;

/**
 * The independent computation over the org's cost table in `target()` (read at each call, as the
 * suite's beforeAll writes it): `sql` selects from the scenario's rows, `forecast` restates the run
 * rate of the summary from them.
 */
export function costsOracle(target: () => { warehouse: Warehouse; table: string }) {
  async function sql<T extends Record<string, unknown>>(
    select: string,
    w: { sql: string; params: QueryParams },
    tail = '',
  ) {
    const { warehouse, table } = target();
    return warehouse.query<T>(`SELECT ${select} FROM ${table} WHERE ${w.sql} ${tail}`, w.params);
  }

  async function forecast(s: Scenario, extra = '', fallback = false) {
    const range = period(s);
    const mtdStart = range.start > MONTH_START ? range.start : MONTH_START;
    // The days of this month the period covers (its end is capped at today already).
    const covered = Math.max(1, daysFrom(mtdStart, range.end));
    const [m] = await sql<{ mtd: number; d: number; mo: number; y: number }>(
      `ROUND(SUM(BilledCost), 2) AS mtd, ROUND(SUM(BilledCost) / ${covered}, 2) AS d,
       ROUND(SUM(BilledCost) * ${DAYS_IN_MONTH} / ${covered}, 2) AS mo, ROUND(ROUND(SUM(BilledCost) * ${DAYS_IN_MONTH} / ${covered}, 2) * 12, 2) AS y`,
      where(s, { start: mtdStart, end: range.end }, extra),
    );
    const days = daysFrom(range.start, range.end);
    const [all] = await sql<{ total: number; d: number; mo: number; y: number }>(
      `SUM(BilledCost) AS total, ROUND(SUM(BilledCost) / ${days}, 2) AS d, ROUND(SUM(BilledCost) * 30 / ${days}, 2) AS mo,
       ROUND(SUM(BilledCost) * 365 / ${days}, 2) AS y`,
      where(s, range, extra),
    );
    const mtd = num(m?.mtd);
    if (fallback && mtd === 0 && num(all?.total) > 0)
      return { mtd, daily: num(all?.d), monthly: num(all?.mo), annual: num(all?.y) };
    return { mtd, daily: num(m?.d), monthly: num(m?.mo), annual: num(m?.y) };
  }
  return { sql, forecast };
}
