import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

const ORG_SLUG = /^[a-z0-9_]{3,50}$/;

export class OrgParamDto {
  @ApiProperty({ pattern: ORG_SLUG.source })
  @Matches(ORG_SLUG, { message: 'org must be 3-50 lowercase letters, digits or underscores' })
  org: string;
}
