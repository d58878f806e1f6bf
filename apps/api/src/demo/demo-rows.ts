import pl from 'nodejs-polars';
import { DEMO_PROVIDERS, type DemoProvider } from './demo-catalog.js';
import type { DemoLeaf } from './demo-hierarchy.js';
import { seededRandom } from '../common/seeded-random.js';

const DAY_MS = 86_400_000;

export interface DemoYear {
  /** Total rows over every source (each source gets its providers' share). */
  rows: number;
  seed: number;
  /** First charge day, UTC midnight. */
  start: Date;
  days: number;
  leaves: readonly DemoLeaf[];
}

/** Rows of each provider: its share of the total, the rounding remainder going to the largest. */
export function rowsPerProvider(total: number): Map<DemoProvider, number> {
  const counts = new Map(DEMO_PROVIDERS.map((p) => [p, Math.floor(total * p.rowShare)]));
  const largest = DEMO_PROVIDERS.reduce((a, b) => (b.rowShare > a.rowShare ? b : a));
  const assigned = [...counts.values()].reduce((a, b) => a + b, 0);
  counts.set(largest, counts.get(largest)! + total - assigned);
  return counts;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** Units counted whole (a seat, a host), not metered. */
const WHOLE_UNITS: ReadonlySet<string> = new Set(['Seats', 'Hosts']);

/** Per-row draws of one provider, in typed arrays (the PRNG is consumed in the original order). */
interface Draws {
  start: Float64Array;
  monthStart: Float64Array;
  monthEnd: Float64Array;
  service: Int32Array;
  leaf: Int32Array;
  region: Int32Array;
  billed: Float64Array;
  quantity: Float64Array;
  effective: Float64Array;
  list: Float64Array;
  prod: Int32Array;
}

function draw(provider: DemoProvider, count: number, year: DemoYear): Draws {
  const d: Draws = {
    start: new Float64Array(count),
    monthStart: new Float64Array(count),
    monthEnd: new Float64Array(count),
    service: new Int32Array(count),
    leaf: new Int32Array(count),
    region: new Int32Array(count),
    billed: new Float64Array(count),
    quantity: new Float64Array(count),
    effective: new Float64Array(count),
    list: new Float64Array(count),
    prod: new Int32Array(count),
  };
  const rnd = seededRandom(year.seed ^ hash(provider.serviceProvider));
  for (let i = 0; i < count; i++) {
    const day = Math.floor((i * year.days) / count);
    const start = year.start.getTime() + day * DAY_MS;
    const service = Math.floor(rnd() * provider.services.length);
    d.leaf[i] = Math.floor(rnd() * year.leaves.length);
    d.region[i] = Math.floor(rnd() * provider.regions.length);
    const weekday = new Date(start).getUTCDay();
    const shape = (1 + (0.35 * day) / year.days) * (weekday === 0 || weekday === 6 ? 0.7 : 1);
    const billed = round6(provider.services[service]!.meanCost * shape * (0.4 + rnd() * 1.2));
    const date = new Date(start);
    d.start[i] = start;
    d.monthStart[i] = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    d.monthEnd[i] = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    d.service[i] = service;
    d.billed[i] = billed;
    const units = (billed / provider.services[service]!.unitPrice) * (0.9 + rnd() * 0.2);
    d.quantity[i] = WHOLE_UNITS.has(provider.services[service]!.unit)
      ? Math.max(1, Math.round(units))
      : round6(units);
    d.effective[i] = round6(billed * (0.82 + rnd() * 0.18));
    d.list[i] = round6(billed * (1 + rnd() * 0.25));
    d.prod[i] = rnd() < 0.7 ? 1 : 0;
  }
  return d;
}

const text = (name: string, values: (string | null)[]) => pl.Series(name, values, pl.Utf8);
const keys = (name: string, n: number) =>
  pl.Series(
    name,
    Int32Array.from({ length: n }, (_, i) => i),
  );

/**
 * One provider's rows. Text columns are looked up from the row's service, leaf and region codes
 * by joins on small tables (a left join keeps the row order), so no text is built per row.
 */
function providerFrame(provider: DemoProvider, count: number, year: DemoYear, saas: boolean): pl.DataFrame {
  const d = draw(provider, count, year);
  const services = provider.services;
  const leaves = year.leaves;
  const nServices = services.length;
  const seller = (i: number) => (saas ? services[i]!.name : provider.serviceProvider);
  const byService = pl.DataFrame([
    keys('__service', nServices),
    text(
      'ServiceCategory',
      services.map((s) => s.category),
    ),
    text(
      'ServiceName',
      services.map((s) => s.name),
    ),
    text(
      'ServiceProviderName',
      services.map((_, i) => seller(i)),
    ),
    text(
      'HostProviderName',
      services.map((_, i) => (saas ? seller(i) : provider.hostProvider)),
    ),
    text(
      'InvoiceIssuerName',
      services.map((_, i) => (saas ? seller(i) : provider.invoiceIssuer)),
    ),
    text(
      'ConsumedUnit',
      services.map((s) => s.unit),
    ),
    text(
      'x_genai_model',
      services.map((s) => s.model ?? null),
    ),
  ]);
  const byLeaf = pl.DataFrame([
    keys('__leaf', leaves.length),
    text(
      'SubAccountId',
      leaves.map((l) => `${provider.billingAccount}-${l.id.toLowerCase()}`),
    ),
    text(
      'x_hierarchy_entity_id',
      leaves.map((l) => l.id),
    ),
    text(
      'x_hierarchy_entity_name',
      leaves.map((l) => l.name),
    ),
    text(
      'x_hierarchy_level_code',
      leaves.map((l) => l.levelCode),
    ),
    text(
      'x_hierarchy_path',
      leaves.map((l) => l.path),
    ),
    text(
      'x_hierarchy_path_names',
      leaves.map((l) => l.pathNames),
    ),
  ]);
  const pairs = leaves.flatMap((leaf) => services.map((service) => ({ leaf, service })));
  const byLeafService = pl.DataFrame([
    keys('__leaf_service', pairs.length),
    text(
      'ResourceId',
      pairs.map(
        ({ leaf, service }) =>
          `${provider.billingAccount}/${leaf.id.toLowerCase()}/${service.name.replaceAll(' ', '-').toLowerCase()}`,
      ),
    ),
    text(
      'ResourceName',
      pairs.map(({ leaf, service }) => `${service.name} (${leaf.name})`),
    ),
  ]);
  const byLeafEnv = pl.DataFrame([
    keys('__leaf_env', leaves.length * 2),
    text(
      'Tags',
      leaves.flatMap((l) => [`{"team":"${l.id}","env":"dev"}`, `{"team":"${l.id}","env":"prod"}`]),
    ),
  ]);
  const byRegion = pl.DataFrame([
    keys('__region', provider.regions.length),
    text('RegionId', provider.regions),
  ]);
  const leafService = new Int32Array(count);
  const leafEnv = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    leafService[i] = d.leaf[i]! * nServices + d.service[i]!;
    leafEnv[i] = d.leaf[i]! * 2 + d.prod[i]!;
  }
  // Column arrays of numbers arrive as Float64; the periods are epoch milliseconds.
  const ms = (name: string) => pl.col(name).cast(pl.Int64).cast(pl.Datetime('ms', 'UTC'));
  return pl
    .DataFrame([
      pl.Series('__start', d.start),
      pl.Series('__month_start', d.monthStart),
      pl.Series('__month_end', d.monthEnd),
      pl.Series('__service', d.service),
      pl.Series('__leaf', d.leaf),
      pl.Series('__region', d.region),
      pl.Series('__leaf_service', leafService),
      pl.Series('__leaf_env', leafEnv),
      pl.Series('BilledCost', d.billed),
      pl.Series('EffectiveCost', d.effective),
      pl.Series('ListCost', d.list),
      pl.Series('ConsumedQuantity', d.quantity),
    ])
    .join(byService, { on: '__service', how: 'left' })
    .join(byLeaf, { on: '__leaf', how: 'left' })
    .join(byLeafService, { on: '__leaf_service', how: 'left' })
    .join(byLeafEnv, { on: '__leaf_env', how: 'left' })
    .join(byRegion, { on: '__region', how: 'left' })
    .withColumns(pl.col('__start').add(pl.lit(DAY_MS)).alias('__end'))
    .select(
      pl.lit(provider.billingAccount).alias('BillingAccountId'),
      pl.col('SubAccountId'),
      pl.col('BilledCost'),
      pl.col('EffectiveCost'),
      pl.col('ListCost'),
      pl.col('BilledCost').alias('ContractedCost'),
      pl.lit('USD').alias('BillingCurrency'),
      ms('__month_start').alias('BillingPeriodStart'),
      ms('__month_end').alias('BillingPeriodEnd'),
      ms('__start').alias('ChargePeriodStart'),
      ms('__end').alias('ChargePeriodEnd'),
      pl.lit(saas ? 'Purchase' : 'Usage').alias('ChargeCategory'),
      pl.col('ServiceCategory'),
      pl.col('ServiceName'),
      pl.col('ServiceProviderName'),
      pl.col('HostProviderName'),
      pl.col('InvoiceIssuerName'),
      pl.col('ConsumedQuantity'),
      pl.col('ConsumedUnit'),
      pl.col('RegionId'),
      pl.col('RegionId').alias('RegionName'),
      pl.col('ResourceId'),
      pl.col('ResourceName'),
      pl.col('Tags'),
      pl.col('x_hierarchy_entity_id'),
      pl.col('x_hierarchy_entity_name'),
      pl.col('x_hierarchy_level_code'),
      pl.col('x_hierarchy_path'),
      pl.col('x_hierarchy_path_names'),
      pl
        .lit(provider.cloud ?? null)
        .cast(pl.Utf8)
        .alias('x_cloud_provider'),
      pl
        .lit(provider.genai ?? null)
        .cast(pl.Utf8)
        .alias('x_genai_provider'),
      pl.col('x_genai_model'),
    );
}

/**
 * One source system's rows of the demo year as a FOCUS 1.3 frame, spread evenly over the days and
 * at random (seeded) over services, regions and the hierarchy's leaves. Costs grow over the year
 * and dip at weekends, so trends and forecasts have a shape. The columns are the mandatory ones
 * and those the cost reads use, plus a few for realism. Numbers are drawn into typed arrays and
 * text is joined on from small lookup tables: a million rows take about a second.
 */
export function demoFrame(source: string, year: DemoYear): pl.DataFrame {
  const counts = rowsPerProvider(year.rows);
  const saas = source.startsWith('subscription');
  const frames = DEMO_PROVIDERS.filter((p) => p.source === source).map((provider) =>
    providerFrame(provider, counts.get(provider)!, year, saas),
  );
  if (frames.length === 0) throw new Error(`No demo provider has the source ${source}`);
  return frames.length === 1 ? frames[0]! : pl.concat(frames, { how: 'vertical' });
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
