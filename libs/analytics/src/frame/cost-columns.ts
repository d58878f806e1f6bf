/** Column names of a cost frame (FOCUS names where the value is the FOCUS value). */
export const C = {
  subAccountId: 'SubAccountId',
  provider: 'ServiceProviderName',
  serviceCategory: 'ServiceCategory',
  serviceName: 'ServiceName',
  resourceName: 'ResourceName',
  billed: 'billed_micros',
  effective: 'effective_micros',
  list: 'list_micros',
  /**
   * What each cost's micro-units left out: its exact value minus its rounded micro-units, in
   * nano-units (−500..500; a NUMERIC has 9 decimals). Summed beside the micro-units (see
   * `moneySum`), so sums are exact to the nano-unit while a 64-bit micro-unit sum keeps its range
   * (nano-units alone would cap a row at 9 million currency units and a sum at 9 billion: a VND or
   * IDR org's year).
   */
  billedRest: 'billed_nano_rest',
  effectiveRest: 'effective_nano_rest',
  listRest: 'list_nano_rest',
  currency: 'BillingCurrency',
  quantity: 'ConsumedQuantity',
  unit: 'ConsumedUnit',
  chargeCategory: 'ChargeCategory',
  chargeClass: 'ChargeClass',
  region: 'RegionName',
  billingPeriodStart: 'BillingPeriodStart',
  billingPeriodEnd: 'BillingPeriodEnd',
  /** DATE(ChargePeriodStart), UTC: the day a cost belongs to. */
  date: 'charge_date',
  endDate: 'charge_end_date',
  source: 'x_source_system',
  entityId: 'x_hierarchy_entity_id',
  entityName: 'x_hierarchy_entity_name',
  levelCode: 'x_hierarchy_level_code',
  path: 'x_hierarchy_path',
  pathNames: 'x_hierarchy_path_names',
  /**
   * In a frame of grouped rows (the `costs` and `hierarchy` sets): how many FOCUS rows each row
   * stands for. The warehouse sums the period's rows by every other column of the set (see
   * `isGroupedSet`); `rowsCounted` counts them.
   */
  rowCount: 'row_count',
  /** Derived on load by `costCategoryOf`. */
  category: 'cost_category',
} as const;
