import pl from 'nodejs-polars';
import { C } from '../frame/cost-frame.js';
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

/**
 * Billed and effective cost per ServiceName, highest billed first, with each service's usage.
 * Grouped on the dictionary codes first, then the few groups are named and merged: a missing
 * name is grouped as 'Unknown', together with a real service of that name.
 */
export function costByService(df: pl.DataFrame): ServiceCost[] {
  const service = pl.col(C.serviceName).cast(pl.Utf8).fillNull('Unknown').alias('service');
  const rows = df
    .groupBy(C.serviceName)
    .agg(
      pl.col(C.billed).sum().alias('billed'),
      pl.col(C.effective).sum().alias('effective'),
      pl.len().alias('n'),
    )
    .select(service, 'billed', 'effective', 'n')
    .groupBy('service')
    .agg(pl.col('billed').sum(), pl.col('effective').sum(), pl.col('n').sum())
    .toRecords() as { service: string; billed: number | null; effective: number | null; n: number }[];
  const usage = df
    .groupBy([C.serviceName, C.unit])
    .agg(pl.col(C.quantity).sum().alias('quantity'), pl.col(C.billed).sum().alias('billed'))
    .filter(pl.col(C.unit).isNotNull())
    .select(service, pl.col(C.unit).cast(pl.Utf8).alias('unit'), 'quantity', 'billed')
    .groupBy(['service', 'unit'])
    .agg(pl.col('quantity').sum(), pl.col('billed').sum())
    .toRecords() as { service: string; unit: string; quantity: number | null; billed: number | null }[];
  const units = representativeUnits(
    usage.map((u) => ({ ...u, quantity: Number(u.quantity ?? 0), billed: Number(u.billed ?? 0) })),
  );
  const total = rows.reduce((sum, r) => sum + Number(r.billed ?? 0), 0);
  return rows
    .map((r) => {
      const billed = Number(r.billed ?? 0);
      const effective = Number(r.effective ?? 0);
      const unit = units.get(r.service);
      const item: ServiceCost = {
        service: r.service,
        billed,
        effective,
        savings: billed - effective,
        recordCount: Number(r.n),
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
