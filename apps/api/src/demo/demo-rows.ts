import pl from 'nodejs-polars';
import { DEMO_PROVIDERS, type DemoProvider } from './demo-catalog.js';
import type { DemoLeaf } from './demo-hierarchy.js';

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

/** mulberry32: a tiny seeded PRNG, so the same seed always yields the same year of costs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
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
const monthStart = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const nextMonth = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/**
 * One source system's rows of the demo year as a FOCUS 1.3 frame, spread evenly over the days and
 * at random (seeded) over services, regions and the hierarchy's leaves. Costs grow over the year
 * and dip at weekends, so trends and forecasts have a shape. The columns are the mandatory ones
 * and those the cost reads use, plus a few for realism: every extra column costs import time at
 * a million rows. Built column by column: Polars ingests column arrays several times faster than
 * row objects.
 */
export function demoFrame(source: string, year: DemoYear): pl.DataFrame {
  const cols: Record<string, unknown[]> = {};
  const put = (name: string, value: unknown) => (cols[name] ??= []).push(value);
  const counts = rowsPerProvider(year.rows);
  for (const provider of DEMO_PROVIDERS.filter((p) => p.source === source)) {
    const count = counts.get(provider)!;
    const rnd = random(year.seed ^ hash(provider.serviceProvider));
    const saas = source.startsWith('subscription');
    for (let i = 0; i < count; i++) {
      const day = Math.floor((i * year.days) / count);
      const start = year.start.getTime() + day * DAY_MS;
      const service = provider.services[Math.floor(rnd() * provider.services.length)]!;
      const leaf = year.leaves[Math.floor(rnd() * year.leaves.length)]!;
      const region = provider.regions[Math.floor(rnd() * provider.regions.length)]!;
      const weekday = new Date(start).getUTCDay();
      const shape = (1 + (0.35 * day) / year.days) * (weekday === 0 || weekday === 6 ? 0.7 : 1);
      const billed = round6(service.meanCost * shape * (0.4 + rnd() * 1.2));
      const quantity = round6(billed * (5 + rnd() * 20));
      const seller = saas ? service.name : provider.serviceProvider;
      put('BillingAccountId', provider.billingAccount);
      put('SubAccountId', `${provider.billingAccount}-${leaf.id.toLowerCase()}`);
      put('BilledCost', billed);
      put('EffectiveCost', round6(billed * (0.82 + rnd() * 0.18)));
      put('ListCost', round6(billed * (1 + rnd() * 0.25)));
      put('ContractedCost', billed);
      put('BillingCurrency', 'USD');
      put('BillingPeriodStart', monthStart(start));
      put('BillingPeriodEnd', nextMonth(start));
      put('ChargePeriodStart', start);
      put('ChargePeriodEnd', start + DAY_MS);
      put('ChargeCategory', saas ? 'Purchase' : 'Usage');
      put('ServiceCategory', service.category);
      put('ServiceName', service.name);
      put('ServiceProviderName', seller);
      put('HostProviderName', saas ? seller : provider.hostProvider);
      put('InvoiceIssuerName', saas ? seller : provider.invoiceIssuer);
      put('ConsumedQuantity', quantity);
      put('ConsumedUnit', service.unit);
      put('RegionId', region);
      put('RegionName', region);
      put(
        'ResourceId',
        `${provider.billingAccount}/${leaf.id.toLowerCase()}/${service.name.replaceAll(' ', '-').toLowerCase()}`,
      );
      put('ResourceName', `${service.name} (${leaf.name})`);
      put('Tags', `{"team":"${leaf.id}","env":"${rnd() < 0.7 ? 'prod' : 'dev'}"}`);
      put('x_hierarchy_entity_id', leaf.id);
      put('x_hierarchy_entity_name', leaf.name);
      put('x_hierarchy_level_code', leaf.levelCode);
      put('x_hierarchy_path', leaf.path);
      put('x_hierarchy_path_names', leaf.pathNames);
      put('x_cloud_provider', provider.cloud ?? null);
      put('x_genai_provider', provider.genai ?? null);
      put('x_genai_model', service.model ?? null);
    }
  }
  const frame = pl.DataFrame(cols);
  const times = ['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd'];
  // Column arrays of numbers arrive as Float64; the periods are epoch milliseconds.
  return frame.withColumns(...times.map((c) => pl.col(c).cast(pl.Int64).cast(pl.Datetime('ms', 'UTC'))));
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
