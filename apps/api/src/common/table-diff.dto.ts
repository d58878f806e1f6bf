import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { TableDrift } from '#warehouse';

class ColumnTypeMismatchDto {
  @ApiProperty() column: string;
  @ApiProperty({
    description: "The registry's type, in standard SQL (ARRAY<T> when REPEATED)",
    example: 'NUMERIC',
  })
  expected: string;
  @ApiProperty({ description: 'The type in the warehouse', example: 'STRING' }) actual: string;
}

/** How a table in the warehouse differs from its schema in the registry (bootstrap and org status). */
export class TableDiffDto {
  @ApiProperty({ type: [String] }) missing_columns: string[];
  @ApiProperty({ type: [String] }) extra_columns: string[];
  @ApiPropertyOptional({
    type: [ColumnTypeMismatchDto],
    description:
      'Columns whose type differs from the registry: the status is OUT_OF_SYNC, and no sync changes a ' +
      "column's type (the column must be migrated by hand). Absent when there are none",
  })
  type_mismatches?: ColumnTypeMismatchDto[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description:
      'REQUIRED columns (in the registry) holding NULL, with their rows: a sync adds a missing REQUIRED ' +
      'column as NULLABLE, and the rows already there have no value in it (a sync never fills them)',
  })
  nulls_in_required_columns?: Record<string, number>;

  /** The diff of a table, or null when it matches; the optional fields only when they say something. */
  static of(drift: TableDrift, nulls: Record<string, number> = {}): TableDiffDto | null {
    const { missing_columns, extra_columns, type_mismatches } = drift;
    const hasNulls = Object.keys(nulls).length > 0;
    if (!missing_columns.length && !extra_columns.length && !type_mismatches.length && !hasNulls) return null;
    return {
      missing_columns,
      extra_columns,
      ...(type_mismatches.length ? { type_mismatches } : {}),
      ...(hasNulls ? { nulls_in_required_columns: nulls } : {}),
    };
  }
}

/** The OpenAPI of a `schema_diffs` map: table name → TableDiffDto (with ApiExtraModels(TableDiffDto)). */
export const SCHEMA_DIFFS_PROPERTY = {
  type: 'object',
  additionalProperties: { $ref: getSchemaPath(TableDiffDto) },
} as const;
