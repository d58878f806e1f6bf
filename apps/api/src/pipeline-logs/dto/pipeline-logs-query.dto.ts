import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const ORG_SLUG = /^[a-z0-9_]{3,50}$/;
/** Run ids end up in a download's file name, so only plain token characters are accepted. */
const RUN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const upper = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;
const lower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class PipelineOrgParamDto {
  @ApiProperty({ pattern: ORG_SLUG.source })
  @Matches(ORG_SLUG, { message: 'org must be 3-50 lowercase letters, digits or underscores' })
  org: string;
}

export class PipelineRunParamDto extends PipelineOrgParamDto {
  @ApiProperty({ description: 'pipeline_logging_id', pattern: RUN_ID.source })
  @Matches(RUN_ID, { message: 'id must be 1-128 letters, digits or _ . : -' })
  id: string;
}

export class ListRunsQueryDto {
  @ApiPropertyOptional({ description: 'Exact status, case-insensitive (e.g. FAILED)' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @MaxLength(32)
  status_filter?: string;

  @ApiPropertyOptional({ description: 'Substring of the pipeline id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  pipeline_id?: string;

  @ApiPropertyOptional({ description: 'Exact trigger type, case-insensitive (api, scheduler, manual, ...)' })
  @IsOptional()
  @Transform(lower)
  @IsString()
  @MaxLength(32)
  trigger_type?: string;

  @ApiPropertyOptional({ description: 'Substring of who triggered the run' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  trigger_by?: string;

  @ApiPropertyOptional({ example: '2026-01-01', description: 'Inclusive, on run_date' })
  @IsOptional()
  @Matches(DAY, { message: 'start_date must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'start_date must be a valid date' })
  start_date?: string;

  @ApiPropertyOptional({ example: '2026-01-31', description: 'Inclusive, on run_date' })
  @IsOptional()
  @Matches(DAY, { message: 'end_date must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'end_date must be a valid date' })
  end_date?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

export class ListStepsQueryDto {
  @ApiPropertyOptional({ description: 'Exact status, case-insensitive; default: every final status' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @MaxLength(32)
  status_filter?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 100;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

export const ENTITY_TYPES = ['PIPELINE', 'STEP'] as const;

export class ListTransitionsQueryDto {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'Case-insensitive' })
  @IsOptional()
  @Transform(upper)
  @IsIn(ENTITY_TYPES)
  entity_type?: (typeof ENTITY_TYPES)[number];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 100;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

export const DOWNLOAD_FORMATS = ['json', 'csv'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

export class DownloadQueryDto {
  @ApiPropertyOptional({ enum: DOWNLOAD_FORMATS, default: 'json' })
  @IsOptional()
  @Transform(lower)
  @IsIn(DOWNLOAD_FORMATS, { message: 'format must be json or csv' })
  format: DownloadFormat = 'json';
}

export class ListBatchRunsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}
