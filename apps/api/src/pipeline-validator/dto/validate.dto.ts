import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { BodyFlag } from '../../common/query-fields.js';

/** Printable characters only: the run id is stored and echoed in logs and the run log. */
export const RUN_ID = /^[\x21-\x7e]{1,255}$/;
export const RUN_ID_MESSAGE = 'must be 1-255 printable ASCII characters without spaces';

/**
 * How long a reservation holds its slot, 60 s to a day. Absent or null takes the default, which
 * depends on the configuration and the pipeline, so the service applies it: null is made absent
 * here and never reaches the SQL function (which refuses it, a 500).
 */
export const HoldSeconds = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 60, maximum: 86_400, nullable: true, description }),
    Transform(({ value }: { value: unknown }) => value ?? undefined),
    IsOptional(),
    IsInt(),
    Min(60),
    Max(86_400),
  );

export class ValidateRequestDto {
  @ApiProperty({
    example: 'cloud_gcp_cost_billing',
    description: 'A registry id, or its run path joined by "_"',
  })
  @IsString()
  @Length(1, 200)
  pipeline_id: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Return the decrypted credential of the required integration. The pipeline service only: the ' +
      'request must also carry the platform root key (X-CA-Root-Key), else 403 CREDENTIALS_FORBIDDEN.',
  })
  @BodyFlag(false)
  include_credentials: boolean = false;

  @ApiPropertyOptional({
    description:
      'The run id (the run log row id). Default: the Idempotency-Key header, else a new UUID. ' +
      'A retry with the same id gets the first grant back and takes no second slot.',
  })
  @IsOptional()
  @Matches(RUN_ID, { message: `pipeline_logging_id ${RUN_ID_MESSAGE}` })
  pipeline_logging_id?: string;

  @HoldSeconds(
    'How long the reservation holds its slot without a heartbeat or completion; absent or null: ' +
      "QUOTA_RESERVATION_TTL_SECONDS (1800), or twice the pipeline's timeout when that is longer",
  )
  reservation_ttl_seconds?: number;
}

class QuotaSnapshotDto {
  @ApiProperty() pipelines_run_today: number;
  @ApiProperty() pipelines_run_month: number;
  @ApiProperty() concurrent_pipelines_running: number;
  @ApiProperty() daily_limit: number;
  @ApiProperty() monthly_limit: number;
  @ApiProperty() concurrent_limit: number;
  @ApiProperty({
    description:
      'Runs that may still start today: the daily limit left, capped by the monthly limit left; 0 while the ' +
      'subscription may not run pipelines (neither ACTIVE nor TRIAL, or a trial past its end day)',
  })
  remaining_today: number;
  @ApiProperty() remaining_month: number;
  @ApiProperty() remaining_concurrent: number;
}

/** The subscription a validation was decided under (not the organizations module's SubscriptionDto). */
class ValidatorSubscriptionDto {
  @ApiProperty({ type: String, nullable: true }) subscription_id: string | null;
  @ApiProperty() plan_name: string;
  @ApiProperty({ description: 'ACTIVE, TRIAL, PAST_DUE, CANCELLED, ...' }) status: string;
  @ApiProperty() daily_limit: number;
  @ApiProperty() monthly_limit: number;
  @ApiProperty() concurrent_limit: number;
  @ApiProperty() seat_limit: number;
  @ApiProperty() providers_limit: number;
  @ApiProperty({ type: String, nullable: true }) trial_end_date: string | null;
  @ApiProperty({ type: String, nullable: true }) subscription_end_date: string | null;
}

export class ValidateResponseDto {
  @ApiProperty() valid: boolean;
  @ApiProperty() org_slug: string;
  @ApiProperty() org_dataset_id: string;
  @ApiProperty() pipeline_id: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The registry entry',
  })
  pipeline_config: Record<string, unknown> | null;
  @ApiProperty({ type: ValidatorSubscriptionDto, nullable: true })
  subscription: ValidatorSubscriptionDto | null;
  @ApiProperty({ type: QuotaSnapshotDto, nullable: true }) quota: QuotaSnapshotDto | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Only with include_credentials on success',
  })
  credentials: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'PIPELINE_NOT_FOUND, PIPELINE_DISABLED, ORG_NOT_FOUND, SUBSCRIPTION_INACTIVE, ' +
      'INTEGRATION_NOT_CONFIGURED, INTEGRATION_ERROR, QUOTA_EXCEEDED, RUN_ID_CONFLICT, RUN_ID_FINISHED',
  })
  error_code: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'With QUOTA_EXCEEDED: QUOTA_MONTHLY_EXCEEDED, QUOTA_DAILY_EXCEEDED or QUOTA_CONCURRENT_EXCEEDED',
  })
  quota_reason: string | null;
  @ApiProperty({ description: 'The run id the reservation is keyed by (also pipeline_logging_id)' })
  run_id: string;
  @ApiProperty() pipeline_logging_id: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) reservation_id: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date', description: 'The UTC day the run counts on' })
  reservation_date: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) reservation_expires_at: string | null;
  @ApiProperty({ description: 'A retry of a run id already granted' }) replayed: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'With QUOTA_EXCEEDED: seconds until the limit frees (also the Retry-After header)',
  })
  retry_after_seconds: number | null;
}
