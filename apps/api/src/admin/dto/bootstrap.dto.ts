import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SCHEMA_DIFFS_PROPERTY, TableDiffDto } from '../../common/table-diff.dto.js';
import { IsOptional } from 'class-validator';
import { BodyFlag, QueryFlag } from '../../common/query-fields.js';

export class BootstrapRequestDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Drop and recreate the central dataset (destroys all tenants)',
  })
  @BodyFlag(false)
  force_recreate_dataset: boolean = false;

  @ApiPropertyOptional({ default: false, description: 'Drop and recreate every central table' })
  @BodyFlag(false)
  force_recreate_tables: boolean = false;
}

export class BootstrapSyncRequestDto {
  @ApiPropertyOptional({ default: true })
  @BodyFlag(true)
  sync_missing_tables: boolean = true;

  @ApiPropertyOptional({
    default: false,
    description:
      'Also add missing columns, all as NULLABLE (BigQuery adds no REQUIRED column to a table that exists): ' +
      'a REQUIRED one the rows already there hold NULL in is reported in errors (PARTIAL). Never drops anything',
  })
  @BodyFlag(false)
  sync_missing_columns: boolean = false;
}

export class BootstrapStatusQueryDto {
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @QueryFlag(false)
  force_refresh: boolean = false;
}

export class SchemaValidationDto {
  @ApiProperty() valid: boolean;
  @ApiProperty({ type: [String] }) errors: string[];
  @ApiProperty({ type: [String] }) warnings: string[];
  @ApiProperty() tables_validated: number;
  @ApiProperty() validation_timestamp: string;
}

export class BootstrapResponseDto {
  @ApiProperty({ enum: ['SUCCESS'] }) status: 'SUCCESS';
  @ApiProperty() dataset_created: boolean;
  @ApiProperty({ type: [String] }) tables_created: string[];
  @ApiProperty({ type: [String] }) tables_existed: string[];
  @ApiProperty() total_tables: number;
  @ApiProperty() message: string;
  @ApiProperty({ type: SchemaValidationDto }) schema_validation: SchemaValidationDto;
  @ApiProperty({ type: [String] }) warnings: string[];
}

@ApiExtraModels(TableDiffDto)
export class BootstrapStatusDto {
  @ApiProperty({ enum: ['SYNCED', 'OUT_OF_SYNC', 'NOT_BOOTSTRAPPED'] }) status:
    'SYNCED' | 'OUT_OF_SYNC' | 'NOT_BOOTSTRAPPED';
  @ApiProperty() dataset_exists: boolean;
  @ApiProperty() tables_expected: number;
  @ApiProperty({ type: [String] }) tables_existing: string[];
  @ApiProperty({ type: [String] }) tables_missing: string[];
  @ApiProperty({ type: [String] }) tables_extra: string[];
  @ApiProperty(SCHEMA_DIFFS_PROPERTY)
  schema_diffs: Record<string, TableDiffDto>;
  @ApiProperty() message: string;
}

export class BootstrapSyncResponseDto {
  @ApiProperty({ enum: ['SUCCESS', 'PARTIAL'] }) status: 'SUCCESS' | 'PARTIAL';
  @ApiProperty({ type: [String] }) tables_created: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } })
  columns_added: Record<string, string[]>;
  @ApiProperty({ type: [String] }) errors: string[];
  @ApiProperty() message: string;
}
