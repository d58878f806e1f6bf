import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, Matches, NotContains, ValidateBy } from 'class-validator';
import { isIsoDate, TREND_GRANULARITIES, type TrendGranularity } from '#analytics';
import { ChoiceQuery, IntQuery, PageLimit, PageOffset, QueryFlag } from '../../common/query-fields.js';

/** `providers=a,b&providers=c` → ['a', 'b', 'c']; an empty parameter means no filter. */
const csv = ({ value }: { value: unknown }): unknown => {
  if (value === undefined || value === null || value === '') return undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim());
};
const emptyToUndefined = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** No control characters and no commas (the list separator); 1–200 characters. */
const LIST_ITEM = /^[^,\p{Cc}]{1,200}$/u;
const ENTITY_ID = /^[a-zA-Z0-9_-]{1,100}$/;
const HIERARCHY_PATH = /^\/[a-zA-Z0-9_/-]{0,499}$/;
const ENTITY_MESSAGE = '$property must be 1-100 letters, digits, hyphens or underscores';

const IsCalendarDate = () =>
  ValidateBy({
    name: 'isCalendarDate',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isIsoDate(value),
      defaultMessage: () => '$property must be a calendar date as YYYY-MM-DD',
    },
  });

const DateField = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ format: 'date', example: '2025-01-31', description }),
    Transform(emptyToUndefined),
    IsOptional(),
    IsCalendarDate(),
  );

/**
 * The list as one parameter, in the document: up to 50 items of LIST_ITEM (control characters are
 * Cc, \x00-\x1f and \x7f-\x9f), or empty. Looser only for items of blanks, which trimming empties.
 */
const ITEM = '[^,\\x00-\\x1f\\x7f-\\x9f]{1,200}';
const LIST_PATTERN = `^(?:${ITEM}(?:,${ITEM}){0,49})?$`;

const ListField = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      pattern: LIST_PATTERN,
      description: `${description}; comma-separated (or repeated), whole names in any case: aws matches AWS; at most 50 names of 1-200 characters`,
    }),
    Transform(csv),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(50),
    Matches(LIST_ITEM, {
      each: true,
      message: '$property items must be 1-200 characters without commas or control characters',
    }),
  );

const EntityField = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ pattern: ENTITY_ID.source, description }),
    Transform(emptyToUndefined),
    IsOptional(),
    Matches(ENTITY_ID, { message: ENTITY_MESSAGE }),
  );

/** Dates and filters every cost read accepts. */
export class CostFilterQueryDto {
  @DateField('First day; used only together with end_date (else the fiscal year to date)')
  start_date?: string;

  @DateField(
    "Last day, capped at the latest day costs exist for (the org's today, or west of UTC the running UTC day); used only together with start_date",
  )
  end_date?: string;

  @ListField('ServiceProviderName values')
  providers?: string[];

  @ListField('FOCUS ServiceCategory values')
  service_categories?: string[];

  @EntityField('Department: the entity or anything below it')
  department_id?: string;

  @EntityField('Project: the entity or anything below it')
  project_id?: string;

  @EntityField('Team: the entity or anything below it')
  team_id?: string;

  @EntityField('Any hierarchy entity: the entity or anything below it')
  hierarchy_entity_id?: string;

  @ApiPropertyOptional({
    example: '/DEPT-1/PROJ-2',
    // The rules below, written for JSON Schema as one: up to 500 characters, `/` then segments of
    // letters, digits, `_` and `-`, none empty (a `.` is no character of one, so no `..` either).
    pattern: '^(?=.{1,500}$)/(?:[a-zA-Z0-9_-]+/)*[a-zA-Z0-9_-]*$',
    description: 'This hierarchy path or below it (whole segments; no `..`, no empty segment)',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(HIERARCHY_PATH, { message: '$property must start with / and hold letters, digits, _, - and /' })
  @NotContains('..', { message: '$property must not contain ..' })
  @NotContains('//', { message: '$property must not contain empty segments' })
  hierarchy_path?: string;
}

/** The most rows one listing answers with: beyond it a response would hold a period's rows in memory. */
export const MAX_LISTED_ROWS = 10_000;

/** A page size of a listing: 1 to MAX_LISTED_ROWS. */
const ListLimit = (byDefault: number) => PageLimit(MAX_LISTED_ROWS, byDefault);

export class CostRowsQueryDto extends CostFilterQueryDto {
  @ListLimit(1000)
  limit: number = 1000;

  @PageOffset()
  offset: number = 0;
}

/**
 * The category listings (C7–C9) answer every matching row, as the reference did, up to
 * MAX_LISTED_ROWS, newest first; `pagination.total` says how many there are and `offset` pages on.
 * The summary always covers them all.
 */
export class CostCategoryQueryDto extends CostRowsQueryDto {
  @ListLimit(MAX_LISTED_ROWS)
  override limit: number = MAX_LISTED_ROWS;
}

export const TREND_CATEGORIES = ['cloud', 'genai', 'subscription', 'saas', 'other'] as const;
export type TrendCategory = (typeof TREND_CATEGORIES)[number];

export class CostTrendQueryDto extends CostFilterQueryDto {
  @ChoiceQuery(TREND_GRANULARITIES, 'daily')
  granularity: TrendGranularity = 'daily';

  @IntQuery({ min: 1, max: 365, byDefault: 30, description: 'Last n days, today included' })
  days: number = 30;

  @ApiPropertyOptional({
    enum: [...TREND_CATEGORIES, 'all'],
    description: 'Any case; saas is the same as subscription; all (or empty) is every category',
  })
  // Any case (Cloud, GENAI, All), as the category rules read names; not trimmed.
  // `all` is how the replaced service named "no category" (its cache keys): the same as leaving it out.
  @Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const category = value.toLowerCase();
    return category === '' || category === 'all' ? undefined : category;
  })
  @IsOptional()
  @IsIn(TREND_CATEGORIES, { message: `category must be one of: all, ${TREND_CATEGORIES.join(', ')}` })
  category?: TrendCategory;
}

export class GranularTrendQueryDto {
  @DateField('First day; with end_date instead of days')
  start_date?: string;

  @DateField(
    "Last day, capped at the latest day costs exist for (the org's today, or west of UTC the running UTC day); with start_date instead of days",
  )
  end_date?: string;

  @IntQuery({ min: 1, max: 730, byDefault: 365, description: 'Last n days, today included' })
  days: number = 365;

  @ApiPropertyOptional({ default: false, description: 'Drop the cached period first' })
  @QueryFlag(false)
  clear_cache: boolean = false;
}
