import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { IsCalendarDay } from '../../common/query-fields.js';
import { HoldSeconds, RUN_ID, RUN_ID_MESSAGE } from './validate.dto.js';

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

/** Query and body carry the same fields (the pipeline service sends the query); one sent in both must agree. */
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
  @IsCalendarDay()
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
  @HoldSeconds(
    'The run keeps its slot for at least this many seconds from now: its expiry becomes now + ' +
      'ttl_seconds, or stays as it is when it is already later (a heartbeat never shortens a hold, so ' +
      "a late or small one cannot cut a live run short). The response's expires_at is the resulting " +
      'expiry. Absent or null: QUOTA_RESERVATION_TTL_SECONDS (1800).',
  )
  ttl_seconds?: number;
}

export class HeartbeatResponseDto {
  @ApiProperty({ enum: [true] }) success: true;
  @ApiProperty() org_slug: string;
  @ApiProperty({ format: 'uuid' }) reservation_id: string;
  @ApiProperty() run_id: string;
  @ApiProperty({
    format: 'date-time',
    description:
      'The reservation holds its slot until then: the later of its expiry before this call and now + ttl_seconds',
  })
  expires_at: string;
}
