import { ORG_SLUG, ORG_SLUG_MESSAGE } from '#platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, Matches } from 'class-validator';
import { BodyFlag, IsCalendarDay } from '../../common/query-fields.js';

const PROVIDER = /^[A-Za-z0-9_]{1,50}$/;
export const RUN_ALL_CATEGORIES = ['cloud', 'genai'] as const;

export class RunAllRequestDto {
  @ApiPropertyOptional({
    pattern: ORG_SLUG.source,
    description: 'One org (MANUAL batch); default every ACTIVE org',
  })
  @IsOptional()
  @Matches(ORG_SLUG, { message: `org_slug ${ORG_SLUG_MESSAGE}` })
  org_slug?: string;

  @ApiPropertyOptional({ enum: RUN_ALL_CATEGORIES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RUN_ALL_CATEGORIES.length)
  @IsIn(RUN_ALL_CATEGORIES, { each: true })
  categories?: (typeof RUN_ALL_CATEGORIES)[number][];

  @ApiPropertyOptional({
    type: [String],
    description:
      'Stored provider names (AWS_IAM, CLAUDE) or pipeline providers (aws, anthropic); case-insensitive',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(PROVIDER, { each: true, message: 'each provider must be 1-50 letters, digits or underscores' })
  providers?: string[];

  @ApiPropertyOptional({
    example: '2026-01-31',
    format: 'date',
    description: 'The day to load; default yesterday (UTC)',
  })
  @IsOptional()
  @IsCalendarDay()
  date?: string;

  @ApiPropertyOptional({ default: false, description: 'Plan only: nothing is called' })
  @BodyFlag(false)
  dry_run: boolean = false;
}

export class RunAllResultDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Stored provider name(s) of the integration' }) provider: string;
  @ApiProperty({ type: String, nullable: true }) pipeline_path: string | null;
  @ApiProperty({ format: 'date' }) date: string;
  @ApiProperty({ enum: ['triggered', 'skipped_quota', 'failed', 'dry_run', 'skipped'] }) status: string;
  @ApiPropertyOptional() http_status?: number;
  @ApiPropertyOptional() detail?: string;
}

export class RunAllErrorDto {
  @ApiProperty() org_slug: string;
  @ApiProperty() error: string;
}

export class RunAllResponseDto {
  @ApiProperty({ description: 'The batch ran; see the counts and status for its outcome' }) success: boolean;
  @ApiProperty() batch_run_id: string;
  @ApiProperty({ enum: ['COMPLETED', 'PARTIAL'] }) status: string;
  @ApiProperty() orgs_processed: number;
  @ApiProperty() orgs_skipped: number;
  @ApiProperty() pipelines_triggered: number;
  @ApiProperty() pipelines_failed: number;
  @ApiProperty() pipelines_skipped_quota: number;
  @ApiProperty({
    description:
      'Integrations matching the filters: the (org, provider) pairs with a usable credential, one ' +
      "pipeline each (an org's several credentials of one provider count once)",
  })
  total_integrations: number;
  @ApiProperty({ type: [RunAllResultDto], description: 'The first 100 outcomes' }) results: RunAllResultDto[];
  @ApiProperty({ type: [RunAllErrorDto] }) errors: RunAllErrorDto[];
  @ApiProperty({ description: 'false when the batch record could not be written (see errors)' })
  batch_recorded: boolean;
  @ApiProperty() message: string;
  @ApiProperty() elapsed_seconds: number;
}
