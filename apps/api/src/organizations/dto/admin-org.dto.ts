import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { OrgSlugField } from './field-rules.js';

export class CreateOrgRequestDto {
  @OrgSlugField()
  org_slug: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'Becomes the company name (the slug when absent)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  description?: string;
}

export class OrgAdminSummaryDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Org datasets in the warehouse (0 or 1)' }) datasets_created: number;
  @ApiProperty({ description: 'API key rows, active or not' }) api_keys_count: number;
  @ApiProperty() total_pipeline_runs: number;
}
