import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OrgSlugField } from '#platform';
import { BodyFlag } from '../../common/query-fields.js';

export class OffboardRequestDto {
  // A slug, so that a mismatch (400, as the reference) can quote it without quoting a megabyte.
  @OrgSlugField('Must repeat the org slug of the path')
  confirm_org_slug: string;

  @ApiPropertyOptional({ default: false, description: "Also drop the org's dataset with all its data" })
  @BodyFlag(false)
  delete_dataset: boolean = false;
}

/** Rows deleted from one central table. */
export interface DeletedRows {
  table: string;
  rows: number;
}

export class OffboardResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({
    type: [String],
    description:
      'The central tables the org was deleted from (every one with an org_slug column), as the reference lists them',
  })
  deleted_from_tables: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Rows deleted per central table',
    example: { org_api_keys: 1, org_profiles: 1 },
  })
  rows_deleted: Record<string, number>;
  @ApiProperty({ description: 'Tenancy-DB rows removed: the organization, its members and idempotency keys' })
  tenancy_rows_deleted: number;
  @ApiProperty() dataset_deleted: boolean;
  @ApiProperty() message: string;
}
