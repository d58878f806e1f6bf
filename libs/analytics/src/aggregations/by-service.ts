import pl from 'nodejs-polars';
import { C, MONEY_NANOS, moneyPartsOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import {
  addParts,
  type Micros,
  type MoneyParts,
  NO_MONEY,
  partsToMicros,
  percentage,
  subtractParts,
} from '../money.js';
import { formatUsage, usageUnitPriority } from './usage-units.js';

export interface ServiceCost {
  service: string;
  billed: Micros;
  effective: Micros;
  savings: Micros;
  recordCount: number;
  percentage: number;
  /**
   * The service's usage in its representative unit, formatted; absent when no row has a unit, or
   * that unit's quantity is none (null or summing to 0: the reference shows usage only with one).
   */
  usage?: string;
  usageUnit?: string;
  usageQuantity?: number;
}

interface UsageGroup {
  service: string;
  unit: string;
  quantity: number;
  billed: number;
}

/** Positive when `a` represents a service better than `b`: priority, then cost, then name (for stability). */
function compareUnits(a: UsageGroup, b: UsageGroup): number {
  return (
    usageUnitPriority(a.unit) - usageUnitPriority(b.unit) ||
    a.billed - b.billed ||
    (a.unit < b.unit ? 1 : a.unit > b.unit ? -1 : 0)
  );
}

function representativeUnits(groups: UsageGroup[]): Map<string, UsageGroup> {
  const best = new Map<string, UsageGroup>();
  for (const g of groups) {
    const current = best.get(g.service);
    if (!current || compareUnits(g, current) > 0) best.set(g.service, g);
  }
  return best;
}

/** A service's costs as parts (see MoneyParts): its units' groups add up exactly. */
interface ServiceGroup {
  billed: MoneyParts;
  effective: MoneyParts;
  n: number;
}

/**
 * Billed and effective cost per ServiceName, highest billed first, with each service's usage.
 * One pass over the frame, grouped on the dictionary codes of (service, unit); the few groups are
 * then named and merged here: per service for the costs (added as parts, so exactly), per
 * (service, unit) for the usage. A missing name is grouped as 'Unknown', together with a real
 * service of that name.
 */
export function costByService(df: pl.DataFrame): ServiceCost[] {
  const groups = df
    .groupBy([C.serviceName, C.unit])
    .agg(
      ...moneySums(df, C.billed, 'billed'),
      ...moneySums(df, C.effective, 'effective'),
      pl.col(C.quantity).sum().alias('quantity'),
      rowsCounted(df).alias('n'),
    )
    .select(
      pl.col(C.serviceName).cast(pl.Utf8).fillNull('Unknown').alias('service'),
      pl.col(C.unit).cast(pl.Utf8).alias('unit'),
      ...moneyPartsOf(df, C.billed, 'billed'),
      ...moneyPartsOf(df, C.effective, 'effective'),
      'quantity',
      'n',
    )
    .toRecords() as {
    service: string;
    unit: string | null;
    quantity: number | null;
    n: number;
  }[];
  const services = new Map<string, ServiceGroup>();
  const usage = new Map<string, UsageGroup>();
  const parts = (g: Record<string, unknown>, alias: string): MoneyParts => ({
    micros: Number(g[alias] ?? 0),
    nanos: Number(g[alias + MONEY_NANOS] ?? 0),
  });
  for (const g of groups) {
    const billedParts = parts(g, 'billed');
    const billed = partsToMicros(billedParts);
    const service = services.get(g.service) ?? { billed: NO_MONEY, effective: NO_MONEY, n: 0 };
    service.billed = addParts(service.billed, billedParts);
    service.effective = addParts(service.effective, parts(g, 'effective'));
    service.n += Number(g.n);
    services.set(g.service, service);
    if (g.unit === null) continue;
    const key = JSON.stringify([g.service, g.unit]);
    const u = usage.get(key) ?? { service: g.service, unit: g.unit, quantity: 0, billed: 0 };
    u.quantity += Number(g.quantity ?? 0);
    u.billed += billed;
    usage.set(key, u);
  }
  const units = representativeUnits([...usage.values()]);
  const total = partsToMicros([...services.values()].reduce((sum, s) => addParts(sum, s.billed), NO_MONEY));
  return [...services]
    .map(([service, { billed: billedParts, effective, n }]) => {
      const unit = units.get(service);
      const billed = partsToMicros(billedParts);
      const item: ServiceCost = {
        service,
        billed,
        effective: partsToMicros(effective),
        savings: partsToMicros(subtractParts(billedParts, effective)),
        recordCount: n,
        percentage: percentage(billed, total),
      };
      if (unit && unit.quantity !== 0) {
        item.usage = formatUsage(unit.quantity, unit.unit);
        item.usageUnit = unit.unit;
        item.usageQuantity = unit.quantity;
      }
      return item;
    })
    .sort((a, b) => b.billed - a.billed || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}
