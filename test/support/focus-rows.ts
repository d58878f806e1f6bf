import { type Row, SchemaRegistry, type Warehouse } from '#warehouse';
import { seededRandom } from '../../apps/api/src/common/seeded-random.js';

/** A hierarchy entity as FOCUS rows carry it (x_hierarchy_*). */
export interface FocusEntity {
  id: string;
  name: string;
  levelCode: string;
  path: string;
  pathNames: string;
}

/** Shortcuts for the columns tests care about; any FOCUS column name may be given as well. */
export interface FocusRowShortcuts {
  org?: string;
  /** The charge day (UTC), `YYYY-MM-DD`: ChargePeriodStart is its midnight, ChargePeriodEnd the next. */
  date?: string;
  /** ServiceProviderName (and ProviderName, HostProviderName, InvoiceIssuerName). */
  provider?: string;
  serviceCategory?: string;
  serviceName?: string;
  subAccountId?: string;
  resourceName?: string | null;
  region?: string | null;
  billedCost?: number;
  /** Defaults to billedCost. */
  effectiveCost?: number;
  /** Defaults to billedCost. */
  listCost?: number;
  currency?: string;
  consumedQuantity?: number | null;
  consumedUnit?: string | null;
  chargeCategory?: string;
  sourceSystem?: string | null;
  entity?: FocusEntity | null;
}

export type FocusRowInput = FocusRowShortcuts & Record<string, unknown>;

const SHORTCUT_NAMES = `org date provider serviceCategory serviceName subAccountId resourceName region
  billedCost effectiveCost listCost currency consumedQuantity consumedUnit chargeCategory sourceSystem entity`;
const SHORTCUTS: ReadonlySet<string> = new Set(SHORTCUT_NAMES.split(/\s+/));

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function monthBounds(date: string): { start: Date; end: Date } {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(y, m - 1, 1)), end: new Date(Date.UTC(y, m, 1)) };
}

/**
 * A complete FOCUS 1.3 row (all 101 columns of `cost_data_standard_1_3`), ready for
 * `warehouse.insertRows`: `aFocusRow({ provider: 'AWS', billedCost: 12.5 })`.
 */
export function aFocusRow(input: FocusRowInput = {}): Row {
  const org = input.org ?? 'acme_corp';
  const date = input.date ?? '2025-01-15';
  const provider = input.provider ?? 'AWS';
  const billed = input.billedCost ?? 10;
  const entity = input.entity === undefined ? null : input.entity;
  const month = monthBounds(date);
  const chargeStart = new Date(`${date}T00:00:00Z`);
  // One literal with every column in table order: V8 gives it a fast shape (spreading a
  // 58-column object into each row cost about a millisecond a row).
  const row: Row = {
    BillingAccountId: `ba-${org}`,
    BillingAccountName: `Billing ${org}`,
    BillingAccountType: 'Billing Account',
    SubAccountId: input.subAccountId ?? 'sub-001',
    SubAccountName: 'Production',
    SubAccountType: 'Account',
    AllocatedMethodId: null,
    AllocatedMethodDetails: null,
    AllocatedResourceId: null,
    AllocatedResourceName: null,
    AllocatedTags: null,
    BilledCost: billed,
    BillingCurrency: input.currency ?? 'USD',
    BillingPeriodStart: month.start,
    BillingPeriodEnd: month.end,
    CapacityReservationId: null,
    CapacityReservationStatus: null,
    ChargeCategory: input.chargeCategory ?? 'Usage',
    ChargeClass: null,
    ChargeDescription: null,
    ChargeFrequency: 'Usage-Based',
    ChargeType: null,
    ChargePeriodStart: chargeStart,
    ChargePeriodEnd: new Date(`${nextDay(date)}T00:00:00Z`),
    CommitmentDiscountCategory: null,
    CommitmentDiscountId: null,
    CommitmentDiscountName: null,
    CommitmentDiscountQuantity: null,
    CommitmentDiscountStatus: null,
    CommitmentDiscountType: null,
    CommitmentDiscountUnit: null,
    ConsumedQuantity: input.consumedQuantity === undefined ? 1 : input.consumedQuantity,
    ConsumedUnit: input.consumedUnit === undefined ? 'Hours' : input.consumedUnit,
    ContractApplied: null,
    ContractedCost: input.effectiveCost ?? billed,
    ContractedUnitPrice: null,
    EffectiveCost: input.effectiveCost ?? billed,
    HostProviderName: provider,
    InvoiceId: null,
    InvoiceIssuerName: provider,
    ListCost: input.listCost ?? billed,
    ListUnitPrice: null,
    PricingCategory: 'Standard',
    PricingCurrency: null,
    PricingCurrencyContractedUnitPrice: null,
    PricingCurrencyEffectiveCost: null,
    PricingCurrencyListUnitPrice: null,
    PricingQuantity: null,
    PricingUnit: null,
    ProviderName: provider,
    PublisherName: provider,
    RegionId: null,
    RegionName: input.region === undefined ? 'us-east-1' : input.region,
    ResourceId: null,
    ResourceName: input.resourceName === undefined ? 'resource-1' : input.resourceName,
    ResourceType: null,
    ServiceCategory: input.serviceCategory ?? 'Compute',
    ServiceName: input.serviceName ?? 'Amazon EC2',
    ServiceProviderName: provider,
    ServiceSubcategory: null,
    SkuId: null,
    SkuMeter: null,
    SkuPriceDetails: null,
    SkuPriceId: null,
    Tags: null,
    x_source_system: input.sourceSystem === undefined ? 'cloud_aws_billing_raw_daily' : input.sourceSystem,
    x_source_record_id: null,
    x_amortization_class: null,
    x_service_model: null,
    x_cost_allocation_key: null,
    x_exchange_rate_used: null,
    x_original_currency: null,
    x_original_cost: null,
    x_updated_at: null,
    x_org_slug: org,
    x_org_name: `Company ${org}`,
    x_org_owner_email: `admin@${org}.example`,
    x_org_default_currency: 'USD',
    x_org_default_timezone: 'UTC',
    x_org_default_country: 'US',
    x_org_subscription_plan: 'STARTER',
    x_org_subscription_status: 'ACTIVE',
    x_hierarchy_entity_id: entity?.id ?? null,
    x_hierarchy_entity_name: entity?.name ?? null,
    x_hierarchy_level_code: entity?.levelCode ?? null,
    x_hierarchy_path: entity?.path ?? null,
    x_hierarchy_path_names: entity?.pathNames ?? null,
    x_ingestion_date: nextDay(date),
    x_pipeline_id: 'focus-import',
    x_credential_id: 'cred-test',
    x_pipeline_run_date: date,
    x_run_id: 'run-test',
    x_ingested_at: new Date(`${nextDay(date)}T06:00:00Z`),
    x_data_quality_score: null,
    x_created_at: null,
    x_genai_cost_type: null,
    x_genai_provider: null,
    x_genai_model: null,
    x_cloud_provider: null,
    x_cloud_account_id: null,
    x_hierarchy_validated_at: null,
  };
  for (const [column, value] of Object.entries(input)) if (!SHORTCUTS.has(column)) row[column] = value;
  return row;
}

/** A small hierarchy whose ids share prefixes (DEPT-1 / DEPT-10), to catch prefix matching. */
export const TEST_HIERARCHY: readonly FocusEntity[] = (
  [
    ['DEPT-1', 'Engineering', 'c_suite', null],
    ['DEPT-10', 'Sales', 'c_suite', null],
    ['PROJ-1', 'Platform', 'business_unit', 'DEPT-1'],
    ['PROJ-11', 'Data', 'business_unit', 'DEPT-1'],
    ['PROJ-10', 'Field', 'business_unit', 'DEPT-10'],
    ['TEAM-1', 'SRE', 'function', 'PROJ-1'],
    ['TEAM-11', 'ML', 'function', 'PROJ-11'],
    ['TEAM-10', 'EMEA', 'function', 'PROJ-10'],
  ] as const
).reduce<FocusEntity[]>((entities, [id, name, levelCode, parentId]) => {
  const parent = entities.find((e) => e.id === parentId);
  const path = `${parent?.path ?? ''}/${id}`;
  const pathNames = parent ? `${parent.pathNames} > ${name}` : name;
  return [...entities, { id, name, levelCode, path, pathNames }];
}, []);

interface Offer {
  provider: string;
  source: string | null;
  services: readonly (readonly [name: string, category: string, unit: string | null])[];
  chargeCategory?: string;
}

/** Providers across the four cost categories, with the edge cases the category rules decide. */
// prettier-ignore
const OFFERS: readonly Offer[] = [
  { provider: 'AWS', source: 'cloud_aws_billing_raw_daily', services: [['Amazon EC2', 'Compute', 'Hours'], ['Amazon S3', 'Storage', 'Bytes'], ['AWS Lambda', 'Compute', 'Requests']] },
  { provider: 'Google Cloud', source: 'cloud_gcp_billing_raw_daily', services: [['Compute Engine', 'Compute', 'seconds'], ['Cloud Storage', 'Storage', 'byte-seconds'], ['BigQuery', 'Databases', 'bytes']] },
  { provider: 'Microsoft Azure', source: 'cloud_azure_billing_raw_daily', services: [['Virtual Machines', 'Compute', 'Hours']] },
  // A cloud by provider name alone (no loader named).
  { provider: 'Oracle', source: null, services: [['OCI Compute', 'Compute', 'Hours']] },
  { provider: 'OpenAI', source: 'genai_costs_daily_unified', services: [['GPT-4o', 'AI and Machine Learning', 'Tokens'], ['Embeddings', 'AI and Machine Learning', 'Tokens']] },
  { provider: 'Anthropic', source: 'genai_costs_daily_unified', services: [['Claude Sonnet', 'AI and Machine Learning', 'Tokens']] },
  // A cloud provider's model API: GenAI, counted once (the reference counted it as cloud too).
  { provider: 'Google', source: null, services: [['Gemini API', 'genai', 'Requests']] },
  { provider: 'Slack', source: 'subscription_costs_daily', services: [['Slack Business+', 'SaaS', 'Seats']], chargeCategory: 'Purchase' },
  { provider: 'GitHub', source: 'subscription_costs_daily', services: [['GitHub Enterprise', 'SaaS', 'Seats']], chargeCategory: 'Purchase' },
  { provider: 'Datadog', source: 'custom_upload', services: [['Infrastructure Monitoring', 'Observability', null]] },
];

/** Values on half-cent boundaries, to exercise rounding half away from zero. */
const EDGE_COSTS = [0.005, 0.015, -0.005, 2.675, 1.125, -1.125];

const six = (value: number) => Math.round(value * 1e6) / 1e6;
/** A NUMERIC's 9 decimals. */
const nine = (value: number) => Math.round(value * 1e9) / 1e9;

export interface GenerateFocusRowsOptions {
  org: string;
  rows: number;
  seed: number;
  /** First and last charge day, `YYYY-MM-DD`, both included. */
  start: string;
  end: string;
}

/**
 * `rows` FOCUS rows spread over [start, end], the same for the same options: every provider
 * category, hierarchy entities with shared id prefixes and unallocated rows, discounts, credits
 * (negative costs), half-cent amounts and GenAI-style line items finer than a micro-unit (up to the
 * 9 decimals of a NUMERIC, which a per-row rounding to 6 decimals would get wrong in sum).
 */
export function generateFocusRows(options: GenerateFocusRowsOptions): Row[] {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const first = Date.parse(`${options.start}T00:00:00Z`);
  const days = Math.round((Date.parse(`${options.end}T00:00:00Z`) - first) / 86_400_000) + 1;
  if (!(days >= 1)) throw new Error('generateFocusRows: end must not be before start');
  const rows: Row[] = [];
  for (let i = 0; i < options.rows; i++) {
    const offer = pick(OFFERS);
    const [serviceName, serviceCategory, unit] = pick(offer.services);
    const date = new Date(first + Math.floor(random() * days) * 86_400_000).toISOString().slice(0, 10);
    const roll = random();
    const credit = roll < 0.03;
    const billed =
      roll > 0.98
        ? pick(EDGE_COSTS)
        : roll > 0.9
          ? nine(random() * 0.000002)
          : nine((credit ? -1 : 1) * random() ** 2 * 500);
    const discount = credit ? 0 : pick([0, 0, 0.05, 0.2]);
    rows.push(
      aFocusRow({
        org: options.org,
        date,
        provider: offer.provider,
        serviceName,
        serviceCategory,
        sourceSystem: offer.source,
        subAccountId: pick(['sub-001', 'sub-002', 'sub-003']),
        resourceName: random() < 0.1 ? null : `res-${Math.floor(random() * 40)}`,
        region: pick(['us-east-1', 'europe-west1', 'eastus', null]),
        billedCost: billed,
        effectiveCost: nine(billed * (1 - discount)),
        listCost: credit ? 0 : nine(billed * 1.1),
        consumedQuantity: unit ? six(random() * 1e6) : null,
        consumedUnit: unit,
        chargeCategory: credit ? 'Credit' : (offer.chargeCategory ?? 'Usage'),
        entity: random() < 0.15 ? null : pick(TEST_HIERARCHY),
        x_source_record_id: `rec-${options.seed}-${i}`,
        x_run_id: `run-${options.seed}`,
      }),
    );
  }
  return rows;
}

/**
 * Creates the org dataset and its FOCUS table when missing (as onboarding would) and inserts
 * `rows` in batches.
 */
export async function writeFocusRows(
  warehouse: Warehouse,
  dataset: string,
  rows: readonly Row[],
): Promise<void> {
  await warehouse.ensureDataset(dataset);
  await warehouse.ensureTable(dataset, SchemaRegistry.load().orgTable('cost_data_standard_1_3'));
  for (let i = 0; i < rows.length; i += 5_000)
    await warehouse.insertRows({ dataset, table: 'cost_data_standard_1_3' }, rows.slice(i, i + 5_000));
}
