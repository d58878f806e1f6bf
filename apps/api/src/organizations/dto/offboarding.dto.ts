import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';

export class OffboardRequestDto {
  @ApiProperty({ description: 'Must repeat the org slug of the path' })
  @IsString()
  confirm_org_slug: string;

  @ApiPropertyOptional({ default: false, description: "Also drop the org's dataset with all its data" })
  @IsOptional()
  @IsBoolean()
  delete_dataset = false;
}

export class DeletedRowsDto {
  @ApiProperty({ example: 'org_profiles' }) table: string;
  @ApiProperty() rows: number;
}

export class OffboardResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ type: [DeletedRowsDto], description: 'Every central table with an org_slug column' })
  deleted_from_tables: DeletedRowsDto[];
  @ApiProperty({ description: 'Tenancy-DB rows removed: the organization, its members and idempotency keys' })
  tenancy_rows_deleted: number;
  @ApiProperty() dataset_deleted: boolean;
  @ApiProperty() message: string;
}
