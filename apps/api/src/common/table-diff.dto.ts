import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** How a table in the warehouse differs from its schema in the registry (bootstrap and org status). */
export class TableDiffDto {
  @ApiProperty({ type: [String] }) missing_columns: string[];
  @ApiProperty({ type: [String] }) extra_columns: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description:
      'REQUIRED columns (in the registry) holding NULL, with their rows: a sync adds a missing REQUIRED ' +
      'column as NULLABLE, and the rows already there have no value in it (a sync never fills them)',
  })
  nulls_in_required_columns?: Record<string, number>;
}

/** The OpenAPI of a `schema_diffs` map: table name → TableDiffDto (with ApiExtraModels(TableDiffDto)). */
export const SCHEMA_DIFFS_PROPERTY = {
  type: 'object',
  additionalProperties: { $ref: getSchemaPath(TableDiffDto) },
} as const;
