import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** `:org`; the name must stay `org`, which the auth guards compare with the key's org. */
export class CostsOrgParamDto {
  @ApiProperty({ pattern: '^[a-z0-9_]{3,50}$' })
  @Matches(/^[a-z0-9_]{3,50}$/, { message: 'org must be 3-50 lowercase letters, digits or underscores' })
  org: string;
}
