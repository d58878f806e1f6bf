import { OrgParamDto } from '#platform';
import { IsCalendarDay, NotBefore } from '../../common/query-fields.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

/** Segments become part of the upstream URL: nothing but letters, digits and underscores. */
const SEGMENT = /^[a-zA-Z0-9_]{1,50}$/;
const segmentMessage = (name: string) => `${name} must be 1-50 alphanumeric characters or underscores`;

export class TriggerParamsDto extends OrgParamDto {
  @ApiProperty({
    pattern: SEGMENT.source,
    description: 'A category (subscription, genai, ...) or a cloud provider (gcp, aws, azure, oci)',
  })
  @Matches(SEGMENT, { message: segmentMessage('provider') })
  provider: string;

  @ApiProperty({ pattern: SEGMENT.source })
  @Matches(SEGMENT, { message: segmentMessage('domain') })
  domain: string;

  @ApiProperty({ pattern: SEGMENT.source })
  @Matches(SEGMENT, { message: segmentMessage('pipeline') })
  pipeline: string;
}

export class RunWithCategoryParamsDto extends TriggerParamsDto {
  @ApiProperty({ pattern: SEGMENT.source, example: 'cloud' })
  @Matches(SEGMENT, { message: segmentMessage('category') })
  category: string;
}

export class TriggerPipelineRequestDto {
  @ApiPropertyOptional({
    example: '2026-01-31',
    format: 'date',
    description: 'The day to run for (the dashboard sends it with start_date); forwarded as given',
  })
  @IsOptional()
  @IsCalendarDay()
  date?: string;

  @ApiPropertyOptional({ example: '2026-01-01', format: 'date' })
  @IsOptional()
  @IsCalendarDay()
  start_date?: string;

  @ApiPropertyOptional({
    example: '2026-01-31',
    format: 'date',
    description: 'Not before start_date, nor before date when both are given',
  })
  @IsOptional()
  @IsCalendarDay()
  @NotBefore('start_date')
  @NotBefore('date')
  end_date?: string;
}

export class TriggerPipelineResponseDto {
  @ApiProperty({ type: String, nullable: true }) pipeline_logging_id: string | null;
  @ApiProperty({ type: String, nullable: true }) pipeline_id: string | null;
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'As the pipeline service reports it; RUNNING for a run already in progress' })
  status: string;
  @ApiProperty() message: string;
  @ApiProperty({ description: 'Also sent upstream and in the X-Request-ID header' }) request_id: string;
}

export class CacheMetricsDto {
  @ApiProperty({
    enum: ['organization', 'instance'],
    description: "organization: the key's org's lookups; instance: every org's (root key)",
  })
  scope: 'organization' | 'instance';
  @ApiProperty() hits: number;
  @ApiProperty() misses: number;
  @ApiProperty() invalidations: number;
  @ApiProperty({ description: 'hits / total_requests' }) hit_rate: number;
  @ApiProperty() total_requests: number;
}
