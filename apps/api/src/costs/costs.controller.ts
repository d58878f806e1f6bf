import { Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiInternalServerErrorResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CostFilters } from '#analytics';
import { type AuthContext, CurrentAuth, HeavyRead, OrgKeyOrRootAuth, OrgParamDto } from '#platform';
import {
  CostCategoryQueryDto,
  CostFilterQueryDto,
  CostRowsQueryDto,
  CostTrendQueryDto,
  GranularTrendQueryDto,
} from './dto/cost-query.dto.js';
import { CostCacheInvalidateResponseDto, CostCacheStatsResponseDto } from './dto/cost-cache.dto.js';
import {
  CategoryCostsResponseDto,
  CostByProviderResponseDto,
  CostByServiceResponseDto,
  CostGranularTrendResponseDto,
  CostRowsResponseDto,
  CostSummaryResponseDto,
  CostTotalResponseDto,
  CostTrendResponseDto,
  SubscriptionCostsResponseDto,
} from './dto/cost-responses.dto.js';
import { CostResponseRecorder } from './cost-response-cache.js';
import { type CostReadInput, CostsService, type RoutedCategory } from './costs.service.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';

/** The refusal of a period holding a cost no read can sum exactly (CostRowOutOfRangeError). */
const ApiCostRowOutOfRange = () =>
  ApiInternalServerErrorResponse({
    description:
      'COST_ROW_OUT_OF_RANGE: the period holds cost rows of 9.2 trillion or more (2^63 micro-units), ' +
      'written past the import; the detail, start_date, end_date and out_of_range_rows name them',
  });

/** The department, project, team and entity filters all mean "this entity or below it". */
function input(q: CostFilterQueryDto): CostReadInput {
  const entityIds = [q.department_id, q.project_id, q.team_id, q.hierarchy_entity_id].filter(
    (id): id is string => id !== undefined,
  );
  const filters: CostFilters = {
    providers: q.providers,
    serviceCategories: q.service_categories,
    entityIds,
    hierarchyPath: q.hierarchy_path,
  };
  return { startDate: q.start_date, endDate: q.end_date, filters };
}

/** Cost reads for the dashboard (reference §5); read-only, the org's key or the root key. */
@ApiTags('costs')
@Controller('api/v1/costs/:org')
@UseInterceptors(CostResponseRecorder)
export class CostsController {
  constructor(private readonly costs: CostsService) {}

  @Get()
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'FOCUS cost rows of the period, newest first, one page' })
  @ApiOkResponse({ type: CostRowsResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  rows(@Param() { org }: OrgParamDto, @Query() q: CostRowsQueryDto) {
    return this.costs.rows(org, input(q), { limit: q.limit, offset: q.offset });
  }

  @Get('summary')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Totals, savings, month to date, daily rate and forecasts' })
  @ApiOkResponse({ type: CostSummaryResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  summary(@Param() { org }: OrgParamDto, @Query() q: CostFilterQueryDto) {
    return this.costs.summary(org, input(q));
  }

  @Get('by-provider')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Billed cost per provider, highest first' })
  @ApiOkResponse({ type: CostByProviderResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  byProvider(@Param() { org }: OrgParamDto, @Query() q: CostFilterQueryDto) {
    return this.costs.byProvider(org, input(q));
  }

  @Get('by-service')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Billed and effective cost per service, with usage' })
  @ApiOkResponse({ type: CostByServiceResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  byService(@Param() { org }: OrgParamDto, @Query() q: CostFilterQueryDto) {
    return this.costs.byService(org, input(q));
  }

  @Get('trend')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Billed cost per day, week (Mondays) or month (YYYY-MM), oldest first' })
  @ApiOkResponse({ type: CostTrendResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  trend(@Param() { org }: OrgParamDto, @Query() q: CostTrendQueryDto) {
    const category = q.category === 'saas' ? 'subscription' : q.category;
    return this.costs.trend(org, input(q), { granularity: q.granularity, days: q.days, category });
  }

  @Get('trend-granular')
  @OrgKeyOrRootAuth('org:read')
  @HeavyRead()
  @ApiOperation({
    summary: 'Cost per day, provider, hierarchy entity and category, for client-side filters',
    description: 'Also limited to RATE_LIMIT_HEAVY_READS_PER_MINUTE (30) per key.',
  })
  @ApiOkResponse({ type: CostGranularTrendResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  granular(@Param() { org }: OrgParamDto, @Query() q: GranularTrendQueryDto) {
    return this.costs.granular(org, {
      startDate: q.start_date,
      endDate: q.end_date,
      days: q.days,
      clearCache: q.clear_cache,
    });
  }

  @Get('subscriptions')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Subscription (SaaS) cost rows and summary' })
  @ApiOkResponse({ type: SubscriptionCostsResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  subscriptions(@Param() { org }: OrgParamDto, @Query() q: CostCategoryQueryDto) {
    return this.category(org, 'subscription', q);
  }

  @Get('cloud')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Cloud cost rows and summary' })
  @ApiOkResponse({ type: CategoryCostsResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  cloud(@Param() { org }: OrgParamDto, @Query() q: CostCategoryQueryDto) {
    return this.category(org, 'cloud', q);
  }

  @Get('genai')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'GenAI cost rows and summary' })
  @ApiOkResponse({ type: CategoryCostsResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  genai(@Param() { org }: OrgParamDto, @Query() q: CostCategoryQueryDto) {
    return this.category(org, 'genai', q);
  }

  @Get('total')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Subscription, cloud, GenAI and other costs side by side, and their sum' })
  @ApiOkResponse({ type: CostTotalResponseDto })
  @ApiOrgNotFound()
  @ApiCostRowOutOfRange()
  total(@Param() { org }: OrgParamDto, @Query() q: CostFilterQueryDto) {
    return this.costs.total(org, input(q));
  }

  @Get('cache/stats')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({
    summary:
      "Hits, misses, evictions and bytes of the frame, result and response caches on this instance: the org's own with its key, the whole instance's with the root key",
  })
  @ApiOkResponse({ type: CostCacheStatsResponseDto })
  cacheStats(@Param() { org }: OrgParamDto, @CurrentAuth() auth: AuthContext) {
    return this.costs.cacheStats(auth.kind === 'root' ? undefined : org);
  }

  @Post('cache/invalidate')
  @HttpCode(200)
  // A write: it makes every instance load the org's costs again, which a read-only key must not force.
  @OrgKeyOrRootAuth('org:write')
  @ApiOperation({ summary: 'Drop every cached frame and result of the org, on every instance' })
  @ApiOkResponse({ type: CostCacheInvalidateResponseDto })
  invalidate(@Param() { org }: OrgParamDto) {
    return this.costs.invalidate(org);
  }

  private category(org: string, category: RoutedCategory, q: CostCategoryQueryDto) {
    return this.costs.category(org, category, input(q), { limit: q.limit, offset: q.offset });
  }
}
