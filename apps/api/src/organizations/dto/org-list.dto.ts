import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { IntQuery, MAX_PAGE, NoFilterWhenBlank, PageLimit } from '../../common/query-fields.js';
import { toUpper } from './field-rules.js';

export class OrgListQueryDto {
  @IntQuery({ min: 1, max: MAX_PAGE, byDefault: 1 })
  page = 1;

  @PageLimit(100, 50)
  page_size = 50;

  @ApiPropertyOptional({
    example: 'ACTIVE',
    description: 'Profile status, case-insensitive (ACTIVE, SUSPENDED, ...); empty: no filter',
  })
  @NoFilterWhenBlank(toUpper)
  @IsOptional()
  @Matches(/^[A-Z_]{1,30}$/, { message: 'status must be a status name such as ACTIVE' })
  status?: string;
}

export class OrgSummaryDto {
  @ApiProperty() org_slug: string;
  @ApiProperty() company_name: string;
  @ApiProperty() admin_email: string;
  @ApiProperty({ nullable: true, type: String }) subscription_plan: string | null;
  @ApiProperty() status: string;
  @ApiProperty({ nullable: true, type: String }) default_currency: string | null;
  @ApiProperty({ nullable: true, type: String }) default_timezone: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class OrgListResponseDto {
  @ApiProperty({ type: [OrgSummaryDto] }) organizations: OrgSummaryDto[];
  @ApiProperty({ description: 'Organizations matching the filter over all pages' }) total: number;
  @ApiProperty() page: number;
  @ApiProperty() page_size: number;
  @ApiProperty() has_next: boolean;
}
