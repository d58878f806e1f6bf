import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { PLAN_NAMES } from '#tenancy-db';
import { parseTrialEndDate } from '../trial-end-date.js';
import { toUpper } from './field-rules.js';

export const SUBSCRIPTION_STATUSES = ['ACTIVE', 'TRIAL', 'EXPIRED', 'SUSPENDED', 'CANCELLED'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** YYYY-MM-DD, an ISO date-time (Z or offset), or epoch seconds / milliseconds (string or number). */
function IsTrialEndDate() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTrialEndDate',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => parseTrialEndDate(value) !== null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'trial_end_date'} must be YYYY-MM-DD, an ISO date-time or epoch seconds/milliseconds, from 1970 to 9999`,
      },
    });
}

const Limit = (max: number) => applyDecorators(IsOptional(), IsInt(), Min(1), Max(max));

export class UpdateSubscriptionRequestDto {
  @ApiPropertyOptional({ enum: PLAN_NAMES, description: 'Case-insensitive; defaults to the current plan' })
  @IsOptional()
  @Transform(toUpper)
  @IsIn(PLAN_NAMES)
  plan_name?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10_000,
    description: "Defaults to the plan's",
  })
  @Limit(10_000)
  daily_limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 300_000 })
  @Limit(300_000)
  monthly_limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @Limit(100)
  concurrent_limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000 })
  @Limit(1000)
  seat_limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @Limit(100)
  providers_limit?: number;

  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES, description: 'Case-insensitive' })
  @IsOptional()
  @Transform(toUpper)
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    nullable: true,
    example: '2026-03-01',
    description:
      'YYYY-MM-DD, ISO date-time, or epoch seconds/milliseconds; stored as that UTC day. ' +
      'null clears it; absent leaves it as it is',
  })
  @IsOptional()
  @IsTrialEndDate()
  trial_end_date?: string | number | null;
}

export class SubscriptionDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Stripe subscription id, or "" when there is none' }) subscription_id: string;
  @ApiProperty({ enum: PLAN_NAMES }) plan_name: string;
  @ApiProperty({ example: 'ACTIVE' }) status: string;
  @ApiProperty() daily_limit: number;
  @ApiProperty() monthly_limit: number;
  @ApiProperty() concurrent_limit: number;
  @ApiProperty() seat_limit: number;
  @ApiProperty() providers_limit: number;
  @ApiProperty({ nullable: true, type: String, example: '2026-03-01' }) trial_end_date: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) created_at: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) updated_at: string | null;
}

export class SubscriptionUpdateDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: PLAN_NAMES }) plan_name: string;
  @ApiProperty({ example: 'ACTIVE' }) status: string;
  @ApiProperty() daily_limit: number;
  @ApiProperty() monthly_limit: number;
  @ApiProperty() concurrent_limit: number;
  @ApiProperty() seat_limit: number;
  @ApiProperty() providers_limit: number;
  @ApiProperty({ nullable: true, type: String, example: '2026-03-01' }) trial_end_date: string | null;
  @ApiProperty() updated: boolean;
  @ApiProperty() message: string;
}
