import { ApiProperty } from '@nestjs/swagger';
import { NewOrgSlugField } from '#platform';
import { OptionalCompanyNameField } from './field-rules.js';

export class CreateOrgRequestDto {
  @NewOrgSlugField()
  org_slug: string;

  @OptionalCompanyNameField('Becomes the company name (the slug when absent or blank), under its rules')
  description?: string;
}

export class OrgAdminSummaryDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Org datasets in the warehouse (0 or 1)' }) datasets_created: number;
  @ApiProperty({ description: 'API key rows, active or not' }) api_keys_count: number;
  @ApiProperty() total_pipeline_runs: number;
}
