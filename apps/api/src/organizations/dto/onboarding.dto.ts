import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional } from 'class-validator';
import { PLAN_NAMES, type PlanName } from '#tenancy-db';
import {
  currencyCodes,
  DEFAULT_CURRENCY,
  DEFAULT_TIMEZONE,
  timezoneNames,
  toTimezoneName,
} from '../locale-catalog.js';
import { NewOrgSlugField } from '#platform';
import { CompanyNameField, DATASET_LOCATIONS, toUpper } from './field-rules.js';
import { BodyFlag, NullAsAbsent } from '../../common/query-fields.js';

/** A field sent as null is as when absent: its default, or on a re-sync what the org has. */
export class OnboardOrgRequestDto {
  @NewOrgSlugField()
  org_slug: string;

  @CompanyNameField()
  company_name: string;

  @ApiProperty({ example: 'admin@acme.com', format: 'email' })
  @IsEmail()
  admin_email: string;

  // Not defaulted here: a re-sync keeps what the request leaves out (see OnboardingService.resync).
  @ApiPropertyOptional({
    enum: PLAN_NAMES,
    default: 'STARTER',
    description: 'Case-insensitive. A re-sync that leaves it out keeps the plan and limits the org has',
  })
  @IsOptional()
  @NullAsAbsent(toUpper)
  @IsIn(PLAN_NAMES)
  subscription_plan?: PlanName;

  @ApiPropertyOptional({
    enum: currencyCodes(),
    default: DEFAULT_CURRENCY,
    description: 'A re-sync that leaves it out keeps the currency the org has',
  })
  @IsOptional()
  @NullAsAbsent(toUpper)
  @IsIn(currencyCodes())
  default_currency?: string;

  @ApiPropertyOptional({
    enum: timezoneNames(),
    default: DEFAULT_TIMEZONE,
    description: 'Case-insensitive. A re-sync that leaves it out keeps the time zone the org has',
  })
  @IsOptional()
  @NullAsAbsent(toTimezoneName)
  @IsIn(timezoneNames())
  default_timezone?: string;

  @ApiPropertyOptional({
    enum: DATASET_LOCATIONS,
    description:
      "Defaults to the server location. On BigQuery a new org's dataset must be where the central " +
      'dataset is (its views read it): another location is refused (422)',
  })
  @IsOptional()
  @NullAsAbsent()
  @IsIn(DATASET_LOCATIONS)
  dataset_location?: string;

  @ApiPropertyOptional({
    default: false,
    deprecated: true,
    description: 'Accepted for compatibility; ignored',
  })
  @BodyFlag(false)
  force_recreate_dataset: boolean = false;

  @ApiPropertyOptional({
    default: false,
    deprecated: true,
    description: 'Accepted for compatibility; ignored',
  })
  @BodyFlag(false)
  force_recreate_tables: boolean = false;

  @ApiPropertyOptional({
    default: false,
    description:
      'For an existing ACTIVE org: re-sync its profile and limits, create what an interrupted onboarding ' +
      'left missing (dataset tables and views, the default hierarchy of an org without one) and return its API key',
  })
  @BodyFlag(false)
  regenerate_api_key_if_exists: boolean = false;

  @ApiPropertyOptional({
    default: false,
    description:
      'For a new org whose slug still has the dataset of an earlier org (offboarded without ' +
      'delete_dataset): take that dataset over, with its cost data. Without it such an onboarding is ' +
      "refused with 409 DATASET_EXISTS, so one company never sees another one's costs",
  })
  @BodyFlag(false)
  adopt_existing_dataset: boolean = false;
}

export class HierarchySeededDto {
  @ApiProperty({ description: 'Hierarchy levels written' }) levels: number;
  @ApiProperty({ description: 'Hierarchy entities written' }) entities: number;
}

export class OnboardOrgResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Plaintext org API key, shown once ("[redacted]" in idempotent replays)' })
  api_key: string;
  @ApiProperty({ enum: PLAN_NAMES }) subscription_plan: string;
  @ApiProperty() default_currency: string;
  @ApiProperty() default_country: string;
  @ApiProperty() default_language: string;
  @ApiProperty() default_timezone: string;
  @ApiProperty({
    description:
      "Where the org's dataset is: on a re-sync the existing dataset's location (BigQuery's word), which a dataset_location sent cannot move",
  })
  dataset_location: string;
  @ApiProperty() dataset_created: boolean;
  @ApiProperty({ type: [String] }) tables_created: string[];
  @ApiProperty({ type: [String] }) views_created: string[];
  @ApiProperty({ type: HierarchySeededDto }) hierarchy_seeded: HierarchySeededDto;
  @ApiProperty({ enum: ['SKIPPED'] }) dryrun_status: 'SKIPPED';
  @ApiProperty() message: string;
}

export class DryrunRequestDto {
  @NewOrgSlugField()
  org_slug: string;

  @CompanyNameField()
  company_name: string;

  @ApiProperty({ example: 'admin@acme.com', format: 'email' })
  @IsEmail()
  admin_email: string;

  @ApiPropertyOptional({ enum: PLAN_NAMES, default: 'STARTER', description: 'Case-insensitive' })
  @IsOptional()
  @NullAsAbsent(toUpper)
  @IsIn(PLAN_NAMES)
  subscription_plan?: PlanName;
}

export class ValidationCheckDto {
  @ApiProperty({ example: 'org_existence' }) check_name: string;
  @ApiProperty() passed: boolean;
  @ApiProperty() message: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
}

export class ValidationSummaryDto {
  @ApiProperty() total_checks: number;
  @ApiProperty() passed: number;
  @ApiProperty() failed: number;
  @ApiProperty() all_passed: boolean;
}

export class DryrunResponseDto {
  @ApiProperty({ enum: ['SUCCESS', 'FAILED'] }) status: 'SUCCESS' | 'FAILED';
  @ApiProperty() org_slug: string;
  @ApiProperty() subscription_plan: string;
  @ApiProperty() company_name: string;
  @ApiProperty() admin_email: string;
  @ApiProperty({ type: ValidationSummaryDto }) validation_summary: ValidationSummaryDto;
  @ApiProperty({ type: [ValidationCheckDto] }) validation_results: ValidationCheckDto[];
  @ApiProperty() message: string;
  @ApiProperty() ready_for_onboarding: boolean;
}
