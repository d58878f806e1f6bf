import { applyDecorators } from '@nestjs/common';
import { OrgParamDto } from '#platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  ChoiceQuery,
  NoFilterWhenBlank,
  NotBefore,
  OptionalDay,
  PageLimit,
  PageOffset,
  toLower,
  toUpper,
} from '../../common/query-fields.js';
import { RUN_ID, RUN_ID_MESSAGE } from '../../pipeline-validator/dto/validate.dto.js';

const CASES = { upper: toUpper, lower: toLower, asSent: ({ value }: { value: unknown }) => value };

/** A text filter of at most `max` characters. */
function TextFilter(o: { description: string; max: number; inCase: keyof typeof CASES }) {
  return applyDecorators(
    ApiPropertyOptional({ description: `${o.description}; empty: as when absent` }),
    NoFilterWhenBlank(CASES[o.inCase]),
    IsOptional(),
    IsString(),
    MaxLength(o.max),
  );
}

export class PipelineRunParamDto extends OrgParamDto {
  // Every run id the validator admits (pipeline_logging_id) can be read back.
  @ApiProperty({ description: 'pipeline_logging_id', pattern: RUN_ID.source })
  @Matches(RUN_ID, { message: `id ${RUN_ID_MESSAGE}` })
  id: string;
}

export class ListRunsQueryDto {
  @TextFilter({ description: 'Exact status, case-insensitive (e.g. FAILED)', max: 32, inCase: 'upper' })
  status_filter?: string;

  @TextFilter({ description: 'Substring of the pipeline id', max: 200, inCase: 'asSent' })
  pipeline_id?: string;

  @TextFilter({
    description: 'Exact trigger type, case-insensitive (api, scheduler, manual, ...)',
    max: 32,
    inCase: 'lower',
  })
  trigger_type?: string;

  @TextFilter({ description: 'Substring of who triggered the run', max: 200, inCase: 'asSent' })
  trigger_by?: string;

  @OptionalDay('2026-01-01', 'Inclusive, on run_date')
  start_date?: string;

  @OptionalDay('2026-01-31', 'Inclusive, on run_date; not before start_date')
  @NotBefore('start_date')
  end_date?: string;

  @PageLimit(100, 20)
  limit = 20;

  @PageOffset()
  offset = 0;
}

export class ListStepsQueryDto {
  @TextFilter({
    description: 'Exact status, case-insensitive; absent: every final status',
    max: 32,
    inCase: 'upper',
  })
  status_filter?: string;

  @PageLimit(1000, 100)
  limit = 100;

  @PageOffset()
  offset = 0;
}

export const ENTITY_TYPES = ['PIPELINE', 'STEP'] as const;

export class ListTransitionsQueryDto {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'Case-insensitive; empty: as when absent' })
  @NoFilterWhenBlank(toUpper)
  @IsOptional()
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
  @ChoiceQuery(DOWNLOAD_FORMATS, 'json')
  format: DownloadFormat = 'json';
}

export class ListBatchRunsQueryDto {
  @PageLimit(100, 20)
  limit = 20;

  @PageOffset()
  offset = 0;
}
