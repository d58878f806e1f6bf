import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SCHEMA_DIFFS_PROPERTY, TableDiffDto } from '../../common/table-diff.dto.js';
import { BodyFlag } from '../../common/query-fields.js';

@ApiExtraModels(TableDiffDto)
export class OrgStatusDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: ['NOT_FOUND', 'PROFILE_ONLY', 'OUT_OF_SYNC', 'SYNCED'] })
  status: 'NOT_FOUND' | 'PROFILE_ONLY' | 'OUT_OF_SYNC' | 'SYNCED';
  @ApiProperty() dataset_exists: boolean;
  @ApiProperty() profile_exists: boolean;
  @ApiProperty() tables_expected: number;
  @ApiProperty({ type: [String] }) tables_existing: string[];
  @ApiProperty({ type: [String] }) tables_missing: string[];
  @ApiProperty({
    type: [String],
    description: "The org's views that are missing (any makes the status OUT_OF_SYNC)",
  })
  views_missing: string[];
  @ApiProperty(SCHEMA_DIFFS_PROPERTY)
  schema_diffs: Record<string, TableDiffDto>;
  @ApiProperty() message: string;
}

export class OrgSyncRequestDto {
  @ApiPropertyOptional({ default: true })
  @BodyFlag(true)
  sync_missing_tables: boolean = true;

  @ApiPropertyOptional({ default: false, description: 'Also add missing columns as NULLABLE (never drops)' })
  @BodyFlag(false)
  sync_missing_columns: boolean = false;

  @ApiPropertyOptional({
    default: false,
    description: 'Re-create every org view (missing views are always created)',
  })
  @BodyFlag(false)
  recreate_views: boolean = false;
}

export class OrgSyncResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: ['SUCCESS', 'PARTIAL'] }) status: 'SUCCESS' | 'PARTIAL';
  @ApiProperty() dataset_created: boolean;
  @ApiProperty({ type: [String] }) tables_created: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } })
  columns_added: Record<string, string[]>;
  @ApiProperty({ type: [String] }) views_created: string[];
  @ApiProperty({ type: [String] }) errors: string[];
  @ApiProperty() message: string;
}

export class RepairTablesResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty() dataset_id: string;
  @ApiProperty({ type: [String] }) tables_created: string[];
  @ApiProperty({ type: [String] }) tables_existing: string[];
  @ApiProperty({ type: [String] }) tables_failed: string[];
  @ApiProperty({ type: [String], description: 'Missing views created (existing ones are kept)' })
  views_created: string[];
  @ApiProperty({ type: [String] }) views_failed: string[];
  @ApiProperty() message: string;
}
