import { ApiProperty } from '@nestjs/swagger';
import {
  BreakdownSummaryDto,
  CategorySummaryDto,
  CostRowDto,
  CostSummaryDto,
  DatedCostDto,
  DateRangeDto,
  GranularRowDto,
  GranularSummaryDto,
  PaginationDto,
  ProviderCostDto,
  ServiceCostDto,
  SubscriptionSummaryDto,
  TrendSummaryDto,
} from './cost-items.dto.js';

/** The 200 bodies of the cost routes (CostsService): the envelope, and each route's data and summary. */

const Success = () => ApiProperty({ type: Boolean, enum: [true] });
const CacheHit = () =>
  ApiProperty({ description: 'Served from a cached result (or frame) of this instance' });
const QueryTime = () => ApiProperty({ type: Number, description: 'Milliseconds spent on the answer' });
const Currency = () =>
  ApiProperty({
    pattern: '^[A-Z]{3}$',
    example: 'USD',
    description: "The org's default currency (ISO 4217); amounts are not converted",
  });
/** A member of the envelope that this route never fills. */
const AlwaysNull = (description: string) =>
  ApiProperty({ type: 'object', nullable: true, additionalProperties: false, enum: [null], description });

/** `{success, data, summary, pagination, cache_hit, query_time_ms, error, currency}` (reference §5.1). */
abstract class CostEnvelopeDto {
  @Success() success: true;
  @CacheHit() cache_hit: boolean;
  @QueryTime() query_time_ms: number;
  @AlwaysNull('Always null: a failed read is an error response (problem+json)') error: null;
  @Currency() currency: string;
}

/** C1 */
export class CostRowsResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [CostRowDto], description: 'One page, newest day first' }) data: CostRowDto[];
  @AlwaysNull('Always null: rows only') summary: null;
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

/** C2 */
export class CostSummaryResponseDto extends CostEnvelopeDto {
  @AlwaysNull('Always null: the summary only') data: null;
  @ApiProperty({ type: CostSummaryDto }) summary: CostSummaryDto;
  @AlwaysNull('Always null: not paged') pagination: null;
}

/** C3 */
export class CostByProviderResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [ProviderCostDto], description: 'Highest cost first' }) data: ProviderCostDto[];
  @ApiProperty({ type: BreakdownSummaryDto }) summary: BreakdownSummaryDto;
  @AlwaysNull('Always null: not paged') pagination: null;
}

/** C4 */
export class CostByServiceResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [ServiceCostDto], description: 'Highest cost first, every service' })
  data: ServiceCostDto[];
  @ApiProperty({ type: BreakdownSummaryDto }) summary: BreakdownSummaryDto;
  @AlwaysNull('Always null: not paged') pagination: null;
}

/** C5 */
export class CostTrendResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [DatedCostDto], description: 'Oldest first; only days (weeks, months) with cost' })
  data: DatedCostDto[];
  @ApiProperty({ type: TrendSummaryDto }) summary: TrendSummaryDto;
  @AlwaysNull('Always null: not paged') pagination: null;
}

/** C6 */
export class CostGranularTrendResponseDto extends CostEnvelopeDto {
  @ApiProperty({
    type: [GranularRowDto],
    description: 'One row per day, provider, hierarchy entity and category; oldest first',
  })
  data: GranularRowDto[];
  @ApiProperty({ type: GranularSummaryDto }) summary: GranularSummaryDto;
  @AlwaysNull('Always null: not paged') pagination: null;
}

/** C7 */
export class SubscriptionCostsResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [CostRowDto], description: 'The rows of the category, one page, newest day first' })
  data: CostRowDto[];
  @ApiProperty({ type: SubscriptionSummaryDto }) summary: SubscriptionSummaryDto;
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

/** C8, C9 */
export class CategoryCostsResponseDto extends CostEnvelopeDto {
  @ApiProperty({ type: [CostRowDto], description: 'The rows of the category, one page, newest day first' })
  data: CostRowDto[];
  @ApiProperty({ type: CategorySummaryDto }) summary: CategorySummaryDto;
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

/** C10: the sum of the parts, each figure rounded once from the unrounded sum. */
export class CostTotalSumDto {
  @ApiProperty({ type: Number, description: 'The daily rate' }) total_daily_cost: number;
  @ApiProperty({ type: Number, description: 'The monthly forecast' }) total_monthly_cost: number;
  @ApiProperty({ type: Number, description: 'The annual forecast' }) total_annual_cost: number;
  @ApiProperty({ type: Number }) total_billed_cost: number;
  @ApiProperty({ type: Number }) total_effective_cost: number;
  @ApiProperty({ type: Number, description: 'Billed minus effective' }) total_savings: number;
  @ApiProperty({ type: Number, description: 'Billed cost of the month to date' }) mtd_cost: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) record_count: number;
}

/** C10: one category. */
export class CostTotalPartDto extends CostTotalSumDto {
  @ApiProperty({ type: [String], description: 'Providers of the category, sorted' }) providers: string[];
}

/** C10: no data, summary or pagination; the parts and their sum instead. */
export class CostTotalResponseDto {
  @Success() success: true;
  @ApiProperty({ type: CostTotalPartDto }) subscription: CostTotalPartDto;
  @ApiProperty({ type: CostTotalPartDto }) cloud: CostTotalPartDto;
  @ApiProperty({ type: CostTotalPartDto }) genai: CostTotalPartDto;
  @ApiProperty({ type: CostTotalPartDto, description: 'Rows of no other category' }) other: CostTotalPartDto;
  @ApiProperty({ type: CostTotalSumDto, description: 'Every row once' }) total: CostTotalSumDto;
  @ApiProperty({ type: DateRangeDto }) date_range: DateRangeDto;
  @CacheHit() cache_hit: boolean;
  @QueryTime() query_time_ms: number;
  @Currency() currency: string;
}
