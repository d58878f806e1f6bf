import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COST_CATEGORIES } from '#analytics';

/**
 * What the cost reads answer (cost-presenter.ts, reference §5): the rows and items of `data`, and
 * the summaries. Amounts of a summary or an item are rounded once to 2 decimals; a listed row's
 * keep their 9.
 */

const CATEGORIES = [...COST_CATEGORIES];
const Money = (description = 'Billed cost, rounded to 2 decimals') =>
  ApiProperty({ type: Number, example: 1234.56, description });
const Count = (description = 'FOCUS rows counted') =>
  ApiProperty({ type: 'integer', minimum: 0, description });
const Share = () =>
  ApiProperty({ type: Number, example: 52.7, description: 'Percent of the billed total, 2 decimals' });
const Names = (description: string) => ApiProperty({ type: [String], description });
const Text = (description?: string) => ApiProperty({ type: String, nullable: true, description });
const Day = (description: string, nullable = false) =>
  ApiProperty({ type: String, format: 'date', example: '2025-03-01', nullable, description });

export class DateRangeDto {
  @Day('First day of the period read') start: string;
  @Day('Last day of the period read (never after today)') end: string;
}

export class PaginationDto {
  @ApiProperty({ type: 'integer', minimum: 1 }) limit: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) offset: number;
  @Count('Rows matching over all pages') total: number;
}

/** A FOCUS 1.3 row as listed (the reference's field names and order). */
export class CostRowDto {
  @Text() SubAccountId: string | null;
  @Text() ServiceProviderName: string | null;
  @Text() ServiceCategory: string | null;
  @Text() ServiceName: string | null;
  @Text() ResourceName: string | null;
  @ApiProperty({ type: Number, description: 'To 9 decimals' }) BilledCost: number;
  @ApiProperty({ type: Number, description: 'To 9 decimals' }) EffectiveCost: number;
  @ApiProperty({ type: Number, description: 'BilledCost - EffectiveCost' }) Savings: number;
  @ApiProperty({ type: Number, description: 'To 9 decimals; 0 when the row has none' }) ListCost: number;
  @Text('ISO 4217 code of the row') BillingCurrency: string | null;
  @ApiProperty({ type: Number, nullable: true }) ConsumedQuantity: number | null;
  @Text() ConsumedUnit: string | null;
  @Text() ChargeCategory: string | null;
  @Text() ChargeClass: string | null;
  @Text() RegionName: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) BillingPeriodStart: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) BillingPeriodEnd: string | null;
  @Day('The day the cost was incurred; rows are listed newest day first') ChargePeriodStart: string;
  @Day('Day the charge period ended', true) ChargePeriodEnd: string | null;
  @Text('The pipeline or import that wrote the row') x_source_system: string | null;
  @Text() x_hierarchy_entity_id: string | null;
  @Text() x_hierarchy_entity_name: string | null;
  @Text() x_hierarchy_level_code: string | null;
  @Text('e.g. /DEPT-1/PROJ-2/TEAM-3') x_hierarchy_path: string | null;
  @Text() x_hierarchy_path_names: string | null;
}

/** C2: the period's totals, month to date and run rates (zeros when it has no rows). */
export class CostSummaryDto {
  @Money() total_cost: number;
  @Money() total_billed_cost: number;
  @Money('Effective cost, rounded to 2 decimals') total_effective_cost: number;
  @Money('Billed minus effective') total_savings: number;
  @Count() record_count: number;
  @Money('Billed cost of the month to date') mtd_cost: number;
  @Money('Month to date per day of the month the period covers') daily_rate: number;
  @Money('The daily rate times the days of the month') monthly_forecast: number;
  @Money('12 times the monthly forecast') annual_forecast: number;
  @Names('ServiceProviderName values of the period, sorted') providers: string[];
  @Names('ServiceCategory values of the period, sorted') service_categories: string[];
  @ApiProperty({ type: DateRangeDto }) date_range: DateRangeDto;
}

export class ProviderCostDto {
  @ApiProperty({ description: 'ServiceProviderName; Unknown for rows without one' }) provider: string;
  @Money() total_cost: number;
  @Count() record_count: number;
  @Share() percentage: number;
}

export class ServiceCategoryCostDto {
  @ApiProperty({ description: 'ServiceCategory; Unknown for rows without one' }) category: string;
  @Money() total_cost: number;
  @Count() record_count: number;
  @Share() percentage: number;
}

export class ServiceCostDto {
  @ApiProperty({ description: 'ServiceName; Unknown for rows without one' }) service: string;
  @Money() billed_cost: number;
  @Money('Effective cost, rounded to 2 decimals') effective_cost: number;
  @Money('Billed minus effective') savings: number;
  @Money('The billed cost again (the reference named it so)') total_cost: number;
  @Count() record_count: number;
  @ApiPropertyOptional({
    example: '4.10K Tokens',
    description: 'Usage in the representative unit, formatted; absent when no row has a unit',
  })
  usage?: string;
  @ApiPropertyOptional({ example: 'Tokens', description: 'With usage: its unit' })
  usage_unit?: string;
  @Share() percentage: number;
}

/** C3, C4: the total and period of a breakdown. */
export class BreakdownSummaryDto {
  @Money() total_cost: number;
  @Count() record_count: number;
  @ApiProperty({ type: DateRangeDto }) date_range: DateRangeDto;
}

export class DatedCostDto {
  @ApiProperty({
    pattern: '^\\d{4}-\\d{2}(-\\d{2})?$',
    example: '2025-03-03',
    description: 'The day; for weekly the Monday of the week; for monthly YYYY-MM',
  })
  date: string;
  @Money() total_cost: number;
  @Count() record_count: number;
}

export class TrendSummaryDto extends BreakdownSummaryDto {
  @ApiProperty({ enum: ['daily', 'weekly', 'monthly'] }) granularity: string;
  @ApiProperty({
    type: String,
    enum: CATEGORIES,
    nullable: true,
    description: 'The category asked for (saas reads as subscription); null for all',
  })
  category: string | null;
}

const CategoryField = (description: string) => ApiProperty({ enum: CATEGORIES, description });

export class GranularRowDto {
  @Day('The day') date: string;
  @ApiProperty({ description: 'ServiceProviderName; Unknown for rows without one' }) provider: string;
  @Money() total_cost: number;
  @Count() record_count: number;
  @CategoryField('The category the cost rules give the rows') category: string;
  @Text() hierarchy_entity_id: string | null;
  @Text() hierarchy_entity_name: string | null;
  @Text() hierarchy_level_code: string | null;
  @Text() hierarchy_path: string | null;
  @Text() hierarchy_path_names: string | null;
}

export class HierarchyEntityRefDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @Text() level_code: string | null;
  @Text() path: string | null;
}

export class AvailableFiltersDto {
  @Names('Providers with cost in the period, sorted') providers: string[];
  @ApiProperty({ enum: CATEGORIES, isArray: true }) categories: string[];
  @ApiProperty({
    type: [HierarchyEntityRefDto],
    description: 'Every hierarchy entity that carries cost, of any level, ordered by path',
  })
  departments: HierarchyEntityRefDto[];
}

export class GranularSummaryDto extends BreakdownSummaryDto {
  @Count('Rows of data') granular_rows: number;
  @ApiProperty({ type: AvailableFiltersDto }) available_filters: AvailableFiltersDto;
}

/** C7–C9: one category's summary of every matching row (all pages). */
export class CategorySummaryDto {
  @Money() total_cost: number;
  @Money() total_billed_cost: number;
  @Money('Effective cost, rounded to 2 decimals') total_effective_cost: number;
  @Money('Billed minus effective') total_savings: number;
  @Money('Billed cost of the month to date') mtd_cost: number;
  @Money('The daily rate (the reference named it so too)') total_daily_cost: number;
  @Money('The monthly forecast') total_monthly_cost: number;
  @Money('The annual forecast') total_annual_cost: number;
  @Money('Month to date per day of the month the period covers') daily_rate: number;
  @Money('The daily rate times the days of the month') monthly_forecast: number;
  @Money('12 times the monthly forecast') annual_forecast: number;
  @ApiProperty({ type: [ProviderCostDto], description: 'Highest first' }) by_provider: ProviderCostDto[];
  @Names('Providers of the category, sorted') providers: string[];
  @Count() record_count: number;
  @ApiProperty({ type: DateRangeDto }) date_range: DateRangeDto;
}

/** C7: the subscription summary also breaks down by ServiceCategory. */
export class SubscriptionSummaryDto extends CategorySummaryDto {
  @ApiProperty({ type: [ServiceCategoryCostDto], description: 'Highest first' })
  by_category: ServiceCategoryCostDto[];
  @Names('ServiceCategory values of the subscriptions, sorted') service_categories: string[];
}
