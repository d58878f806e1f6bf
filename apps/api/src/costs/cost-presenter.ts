import {
  type CategorySummary,
  type CategoryTotal,
  type CostSummary,
  type CostTotals,
  type DatedCost,
  type DateRange,
  type GranularTrend,
  type ProviderCost,
  type RunRates,
  type ServiceCategoryCost,
  type ServiceCost,
  toMoney,
} from '#analytics';

/**
 * The edge: every amount leaves the service here, rounded once to 2 decimals, half away from
 * zero (`toMoney`). Inside, amounts are exact integer micro-units.
 */

export interface Envelope {
  success: true;
  data: unknown;
  summary: unknown;
  pagination: { limit: number; offset: number; total: number } | null;
  cache_hit: boolean;
  query_time_ms: number;
  /** Always null: a failed read is an error response (problem+json), never a 200 saying so. */
  error: null;
  currency: string;
}

export const dateRange = (period: DateRange) => ({ start: period.start, end: period.end });

export function providerItems(items: ProviderCost[]) {
  return items.map((p) => ({
    provider: p.provider,
    total_cost: toMoney(p.billed),
    record_count: p.recordCount,
    percentage: p.percentage,
  }));
}

export function serviceCategoryItems(items: ServiceCategoryCost[]) {
  return items.map((c) => ({
    category: c.category,
    total_cost: toMoney(c.billed),
    record_count: c.recordCount,
    percentage: c.percentage,
  }));
}

export function serviceItems(items: ServiceCost[]) {
  return items.map((s) => ({
    service: s.service,
    billed_cost: toMoney(s.billed),
    effective_cost: toMoney(s.effective),
    savings: toMoney(s.savings),
    total_cost: toMoney(s.billed),
    record_count: s.recordCount,
    ...(s.usage === undefined ? {} : { usage: s.usage, usage_unit: s.usageUnit }),
    percentage: s.percentage,
  }));
}

export function datedItems(items: DatedCost[]) {
  return items.map((d) => ({ date: d.date, total_cost: toMoney(d.billed), record_count: d.recordCount }));
}

function forecastFields(f: RunRates) {
  return {
    daily_rate: toMoney(f.dailyRate),
    monthly_forecast: toMoney(f.monthlyForecast),
    annual_forecast: toMoney(f.annualForecast),
  };
}

function totalsFields(t: CostTotals) {
  return {
    total_billed_cost: toMoney(t.billed),
    total_effective_cost: toMoney(t.effective),
    total_savings: toMoney(t.savings),
  };
}

/** C2: the period's summary; the same shape with zeros when it has no rows. */
export function summaryFields(s: CostSummary, period: DateRange) {
  return {
    total_cost: toMoney(s.totals.billed),
    ...totalsFields(s.totals),
    record_count: s.totals.recordCount,
    mtd_cost: toMoney(s.mtd),
    ...forecastFields(s.forecast),
    providers: s.providers,
    service_categories: s.serviceCategories,
    date_range: dateRange(period),
  };
}

/** C7–C9: one category's summary. */
export function categoryFields(s: CategorySummary, period: DateRange) {
  const forecast = forecastFields(s.forecast);
  return {
    total_cost: toMoney(s.totals.billed),
    ...totalsFields(s.totals),
    mtd_cost: toMoney(s.mtd),
    total_daily_cost: forecast.daily_rate,
    total_monthly_cost: forecast.monthly_forecast,
    total_annual_cost: forecast.annual_forecast,
    ...forecast,
    by_provider: providerItems(s.byProvider),
    providers: s.providers,
    ...(s.category === 'subscription'
      ? { by_category: serviceCategoryItems(s.byServiceCategory), service_categories: s.serviceCategories }
      : {}),
    record_count: s.totals.recordCount,
    date_range: dateRange(period),
  };
}

/** C10: one part of /total. */
export function totalPartFields(s: CategorySummary) {
  const forecast = forecastFields(s.forecast);
  return {
    total_daily_cost: forecast.daily_rate,
    total_monthly_cost: forecast.monthly_forecast,
    total_annual_cost: forecast.annual_forecast,
    ...totalsFields(s.totals),
    mtd_cost: toMoney(s.mtd),
    record_count: s.totals.recordCount,
    providers: s.providers,
  };
}

/** C10: the sum of the parts, each figure rounded once from the unrounded sum. */
export function totalFields(t: CategoryTotal) {
  const forecast = forecastFields(t.forecast);
  return {
    total_daily_cost: forecast.daily_rate,
    total_monthly_cost: forecast.monthly_forecast,
    total_annual_cost: forecast.annual_forecast,
    ...totalsFields(t.totals),
    mtd_cost: toMoney(t.mtd),
    record_count: t.totals.recordCount,
  };
}

/** C6: granular rows and the filters they offer. */
export function granularFields(g: GranularTrend, totals: CostTotals, period: DateRange) {
  return {
    data: g.rows.map((r) => ({
      date: r.date,
      provider: r.provider,
      total_cost: toMoney(r.billed),
      record_count: r.recordCount,
      category: r.category,
      hierarchy_entity_id: r.hierarchyEntityId,
      hierarchy_entity_name: r.hierarchyEntityName,
      hierarchy_level_code: r.hierarchyLevelCode,
      hierarchy_path: r.hierarchyPath,
      hierarchy_path_names: r.hierarchyPathNames,
    })),
    summary: {
      total_cost: toMoney(totals.billed),
      record_count: totals.recordCount,
      granular_rows: g.rows.length,
      date_range: dateRange(period),
      available_filters: {
        providers: g.providers,
        categories: g.categories,
        departments: g.entities.map((e) => ({
          id: e.id,
          name: e.name,
          level_code: e.levelCode,
          path: e.path,
        })),
      },
    },
  };
}
