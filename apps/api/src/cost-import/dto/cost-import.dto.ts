import { OrgParamDto } from '#platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { IMPORT_STATUSES, type ImportJob, ON_ERROR_MODES, type OnErrorMode } from '../import-job.js';

const SOURCE_SYSTEM = /^[a-z][a-z0-9_]{0,63}$/;
const CREDENTIAL_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** x_credential_id of an import that names none. */
export const DEFAULT_CREDENTIAL_ID = 'focus_import';

export class ImportIdParamDto extends OrgParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be an import id (UUID)' })
  id: string;
}

export class ImportQueryDto {
  @ApiPropertyOptional({
    pattern: SOURCE_SYSTEM.source,
    default: 'focus_import',
    description:
      'Written to x_source_system. The import replaces the rows of this source system over the charge ' +
      'days the file covers, so re-importing a file leaves one copy. Use the name the cost reads know ' +
      '(cloud_aws_billing, cloud_gcp_billing, cloud_azure_billing, cloud_oci_billing, ' +
      'genai_costs_daily_unified, subscription_costs_daily) to have rows counted in that category.',
  })
  @IsOptional()
  @Matches(SOURCE_SYSTEM, { message: 'source_system must be lowercase letters, digits or underscores' })
  source_system: string = 'focus_import';

  @ApiPropertyOptional({
    pattern: CREDENTIAL_ID.source,
    default: DEFAULT_CREDENTIAL_ID,
    description:
      'Written to x_credential_id (the account or credential the export came from). When given, ' +
      "the import replaces only this credential's rows of its source system and period (two " +
      'accounts exported under one source system are kept apart); without it, every row of them.',
  })
  @IsOptional()
  @Matches(CREDENTIAL_ID, { message: 'credential_id must be 1-128 letters, digits or _ . : -' })
  credential_id?: string;

  @ApiPropertyOptional({
    enum: ON_ERROR_MODES,
    default: 'reject',
    description:
      'reject: one invalid row refuses the whole file and the previous data stays. skip: valid rows ' +
      'are imported and the invalid ones reported (status completed_with_errors).',
  })
  @IsOptional()
  @IsIn(ON_ERROR_MODES)
  on_error: OnErrorMode = 'reject';
}

export class RowErrorDto {
  @ApiProperty({ description: 'Data row number, from 1 (a CSV header is not counted)' }) row: number;
  @ApiProperty({ type: String, nullable: true }) column: string | null;
  @ApiProperty() message: string;
}

export class ColumnMappingDto {
  @ApiProperty({ example: 'ProviderName' }) from: string;
  @ApiProperty({ example: 'ServiceProviderName' }) to: string;
}

export class ChargePeriodDto {
  @ApiProperty({ format: 'date', description: 'First UTC day replaced (inclusive)' }) start: string;
  @ApiProperty({ format: 'date', description: 'Day after the last UTC day replaced (exclusive)' })
  end: string;
}

export class ImportFailureDto {
  @ApiProperty({ example: 'COST_IMPORT_ROWS_INVALID' }) code: string;
  @ApiProperty() message: string;
}

export class ImportReportDto {
  @ApiProperty({ format: 'uuid', description: 'Also written to x_run_id of every imported row' })
  import_id: string;
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: IMPORT_STATUSES }) status: string;
  @ApiProperty({ description: 'GET this URL for progress and the outcome' }) status_url: string;
  @ApiProperty() source_system: string;
  @ApiProperty() credential_id: string;
  @ApiProperty({ enum: ON_ERROR_MODES }) on_error: string;
  @ApiProperty({ enum: ['csv', 'parquet'] }) format: string;
  @ApiProperty() gzip: boolean;
  @ApiProperty({ enum: ['1.2', '1.3'], description: '1.2 covers FOCUS 1.0-1.2 column names' })
  focus_version: string;
  @ApiProperty() file_bytes: number;
  @ApiProperty() rows_read: number;
  @ApiProperty() rows_imported: number;
  @ApiProperty() rows_rejected: number;
  @ApiProperty({
    description: 'Rows of the same source system, billing periods and charge days that were replaced',
  })
  rows_replaced: number;
  @ApiProperty({ type: ChargePeriodDto, nullable: true }) charge_period: ChargePeriodDto | null;
  @ApiProperty({
    type: [String],
    description:
      'BillingPeriodStart of the billing periods imported: the rows replaced are those of these ' +
      'billing periods within charge_period (a correction charged in an earlier month replaces nothing there)',
  })
  billing_periods: string[];
  @ApiProperty({ type: [ColumnMappingDto] }) column_mappings: ColumnMappingDto[];
  @ApiProperty({
    type: [String],
    description: 'File columns not written: unknown to the table, or lineage the import writes itself',
  })
  ignored_columns: string[];
  @ApiProperty({ type: [RowErrorDto], description: 'The first 100 row errors' }) errors: RowErrorDto[];
  @ApiProperty({ description: 'True when more row errors exist than are listed' }) errors_truncated: boolean;
  @ApiProperty({ type: ImportFailureDto, nullable: true }) failure: ImportFailureDto | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finished_at: string | null;

  static from(job: ImportJob): ImportReportDto {
    return {
      import_id: job.id,
      org_slug: job.org,
      status: job.status,
      status_url: importStatusUrl(job.org, job.id),
      source_system: job.sourceSystem,
      credential_id: job.credentialId,
      on_error: job.onError,
      format: job.format,
      gzip: job.gzip,
      focus_version: job.focusVersion,
      file_bytes: job.fileBytes,
      rows_read: job.rowsRead,
      rows_imported: job.rowsImported,
      rows_rejected: job.rowsRejected,
      rows_replaced: job.rowsReplaced,
      charge_period: job.chargePeriod ? { ...job.chargePeriod } : null,
      billing_periods: [...job.billingPeriods],
      column_mappings: job.columnMappings.map((m) => ({ ...m })),
      ignored_columns: [...job.ignoredColumns],
      errors: job.errors.map((e) => ({ ...e })),
      errors_truncated: job.errorsTruncated,
      failure: job.failure ? { ...job.failure } : null,
      created_at: job.createdAt.toISOString(),
      started_at: job.startedAt?.toISOString() ?? null,
      finished_at: job.finishedAt?.toISOString() ?? null,
    };
  }
}

export function importStatusUrl(org: string, id: string): string {
  return `/api/v1/admin/organizations/${org}/costs/import/${id}`;
}
