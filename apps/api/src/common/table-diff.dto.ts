import { ApiProperty, getSchemaPath } from '@nestjs/swagger';

/** How a table in the warehouse differs from its schema in the registry (bootstrap and org status). */
export class TableDiffDto {
  @ApiProperty({ type: [String] }) missing_columns: string[];
  @ApiProperty({ type: [String] }) extra_columns: string[];
}

/** The OpenAPI of a `schema_diffs` map: table name → TableDiffDto (with ApiExtraModels(TableDiffDto)). */
export const SCHEMA_DIFFS_PROPERTY = {
  type: 'object',
  additionalProperties: { $ref: getSchemaPath(TableDiffDto) },
} as const;
