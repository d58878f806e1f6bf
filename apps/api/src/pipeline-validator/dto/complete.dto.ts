import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { RUN_ID, RUN_ID_MESSAGE } from './validate.dto.js';

export const RUN_STATUSES = ['SUCCESS', 'FAILED'] as const;

/**
 * Which run: reservation_id, else pipeline_logging_id, else (legacy) a run of reservation_date, a
 * live one first; with none of them (FAILED only), the latest run past its expiry (a stuck run).
 */
class RunRefDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'reservation_id must be a UUID' })
  reservation_id?: string;

  @ApiPropertyOptional({ description: 'The run id given or returned at validation' })
  @IsOptional()
  @Matches(RUN_ID, { message: `pipeline_logging_id ${RUN_ID_MESSAGE}` })
  pipeline_logging_id?: string;
}

/** Query and body carry the same fields (the pipeline service sends the query); the body wins. */
export class CompleteRequestDto extends RunRefDto {
  @ApiPropertyOptional({ enum: RUN_STATUSES, description: 'Required, in the query or the body' })
  @IsOptional()
  @IsIn(RUN_STATUSES, { message: 'pipeline_status must be SUCCESS or FAILED' })
  pipeline_status?: (typeof RUN_STATUSES)[number];

  @ApiPropertyOptional({
    format: 'date',
    description:
      'The day returned at validation (YYYY-MM-DD). A FAILED report without any of reservation_id, ' +
      'pipeline_logging_id and reservation_date completes the latest run past its expiry (404 when there is none).',
  })
  @IsOptional()
  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'reservation_date must be a YYYY-MM-DD date' },
  )
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'reservation_date must be a YYYY-MM-DD date' })
  reservation_date?: string;
}

export class CompleteResponseDto {
  @ApiProperty({ enum: [true] }) success: true;
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: RUN_STATUSES, description: 'The recorded status (on a repeat, the first one)' })
  pipeline_status: string;
  @ApiProperty({ format: 'date' }) reservation_date: string;
  @ApiProperty({ format: 'uuid' }) reservation_id: string;
  @ApiProperty() run_id: string;
  @ApiProperty() pipeline_logging_id: string;
  @ApiProperty() pipeline_id: string;
  @ApiProperty({ description: 'true when this call changed nothing: the run was already completed' })
  already_completed: boolean;
  @ApiProperty({ format: 'date-time' }) completed_at: string;
  @ApiProperty() message: string;
}

export class HeartbeatRequestDto extends RunRefDto {
  @ApiPropertyOptional({
    minimum: 60,
    maximum: 86_400,
    description: 'Seconds from now the run holds its slot; QUOTA_RESERVATION_TTL_SECONDS (1800) by default',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(86_400)
  ttl_seconds?: number;
}

export class HeartbeatResponseDto {
  @ApiProperty({ enum: [true] }) success: true;
  @ApiProperty() org_slug: string;
  @ApiProperty({ format: 'uuid' }) reservation_id: string;
  @ApiProperty() run_id: string;
  @ApiProperty({ format: 'date-time', description: 'The reservation holds its slot until then' })
  expires_at: string;
}
