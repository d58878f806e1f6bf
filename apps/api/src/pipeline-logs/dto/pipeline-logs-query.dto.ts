import { OrgParamDto } from '#platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  Lowercased,
  NotBefore,
  OptionalDay,
  PageLimit,
  PageOffset,
  Uppercased,
} from '../../common/query-fields.js';
import { RUN_ID, RUN_ID_MESSAGE } from '../../pipeline-validator/dto/validate.dto.js';

export class PipelineRunParamDto extends OrgParamDto {
  // Every run id the validator admits (pipeline_logging_id) can be read back.
  @ApiProperty({ description: 'pipeline_logging_id', pattern: RUN_ID.source })
  @Matches(RUN_ID, { message: `id ${RUN_ID_MESSAGE}` })
  id: string;
}

export class ListRunsQueryDto {
  @ApiPropertyOptional({ description: 'Exact status, case-insensitive (e.g. FAILED)' })
  @IsOptional()
  @Uppercased()
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
  @Lowercased()
  @IsString()
  @MaxLength(32)
  trigger_type?: string;

  @ApiPropertyOptional({ description: 'Substring of who triggered the run' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  trigger_by?: string;

  @OptionalDay('start_date', '2026-01-01', 'Inclusive, on run_date')
  start_date?: string;

  @OptionalDay('end_date', '2026-01-31', 'Inclusive, on run_date; not before start_date')
  @NotBefore('start_date')
  end_date?: string;

  @PageLimit(100, 20)
  limit = 20;

  @PageOffset()
  offset = 0;
}

export class ListStepsQueryDto {
  @ApiPropertyOptional({ description: 'Exact status, case-insensitive; default: every final status' })
  @IsOptional()
  @Uppercased()
  @IsString()
  @MaxLength(32)
  status_filter?: string;

  @PageLimit(1000, 100)
  limit = 100;

  @PageOffset()
  offset = 0;
}

export const ENTITY_TYPES = ['PIPELINE', 'STEP'] as const;

export class ListTransitionsQueryDto {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'Case-insensitive' })
  @IsOptional()
  @Uppercased()
  @IsIn(ENTITY_TYPES)
  entity_type?: (typeof ENTITY_TYPES)[number];

  @PageLimit(1000, 100)
  limit = 100;

  @PageOffset()
  offset = 0;
}

export const DOWNLOAD_FORMATS = ['json', 'csv'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

export class DownloadQueryDto {
  @ApiPropertyOptional({ enum: DOWNLOAD_FORMATS, default: 'json' })
  @IsOptional()
  @Lowercased()
  @IsIn(DOWNLOAD_FORMATS, { message: 'format must be json or csv' })
  format: DownloadFormat = 'json';
}

export class ListBatchRunsQueryDto {
  @PageLimit(100, 20)
  limit = 20;

  @PageOffset()
  offset = 0;
}
