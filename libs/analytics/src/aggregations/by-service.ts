import pl from 'nodejs-polars';
import { C, moneyOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import { type Micros, percentage } from '../money.js';
import { formatUsage, usageUnitPriority } from './usage-units.js';

export interface ServiceCost {
  service: string;
  billed: Micros;
  effective: Micros;
  savings: Micros;
  recordCount: number;
  percentage: number;
  /** The service's usage in its representative unit, formatted; absent when no row has a unit. */
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

interface ServiceGroup {
  billed: number;
  effective: number;
  n: number;
}

/**
 * Billed and effective cost per ServiceName, highest billed first, with each service's usage.
 * One pass over the frame, grouped on the dictionary codes of (service, unit); the few groups are
 * then named and merged here: per service for the costs, per (service, unit) for the usage. A
 * missing name is grouped as 'Unknown', together with a real service of that name.
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
      moneyOf(df, C.billed, 'billed'),
      moneyOf(df, C.effective, 'effective'),
      'quantity',
      'n',
    )
    .toRecords() as {
    service: string;
    unit: string | null;
    billed: number | null;
    effective: number | null;
    quantity: number | null;
    n: number;
  }[];
  const services = new Map<string, ServiceGroup>();
  const usage = new Map<string, UsageGroup>();
  for (const g of groups) {
    const billed = Number(g.billed ?? 0);
    const service = services.get(g.service) ?? { billed: 0, effective: 0, n: 0 };
    service.billed += billed;
    service.effective += Number(g.effective ?? 0);
    service.n += Number(g.n);
    services.set(g.service, service);
    if (g.unit === null) continue;
    const key = JSON.stringify([g.service, g.unit]);
    const u = usage.get(key) ?? { service: g.service, unit: g.unit, quantity: 0, billed: 0 };
    u.quantity += Number(g.quantity ?? 0);
    u.billed += billed;
    usage.set(key, u);
  }
  const rows = [...services].map(([service, totals]) => ({ service, ...totals }));
  const units = representativeUnits([...usage.values()]);
  const total = rows.reduce((sum, r) => sum + r.billed, 0);
  return rows
    .map(({ service, billed, effective, n }) => {
      const unit = units.get(service);
      const item: ServiceCost = {
        service,
        billed,
        effective,
        savings: billed - effective,
        recordCount: n,
        percentage: percentage(billed, total),
      };
      if (unit) {
        item.usage = formatUsage(unit.quantity, unit.unit);
        item.usageUnit = unit.unit;
        item.usageQuantity = unit.quantity;
      }
      return item;
    })
    .sort((a, b) => b.billed - a.billed || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}
