import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/** An organization's slug: what every `:org` path parameter and `org_slug` field must be. */
export const ORG_SLUG = /^[a-z0-9_]{3,50}$/;
export const ORG_SLUG_MESSAGE = `must be 3-50 lowercase letters, digits or underscores (${ORG_SLUG.source})`;

/** A slug field of a DTO: the rule, its OpenAPI pattern and a message naming the field. */
export const OrgSlugField = (description = 'Organization slug') =>
  applyDecorators(
    ApiProperty({ pattern: ORG_SLUG.source, description }),
    IsString(),
    Matches(ORG_SLUG, { message: `$property ${ORG_SLUG_MESSAGE}` }),
  );

/** `:org` path parameter; the name must stay `org`, which the auth guards compare with the key's org. */
export class OrgParamDto {
  @OrgSlugField()
  org: string;
}
