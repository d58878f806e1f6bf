import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsNotIn, IsString, Matches } from 'class-validator';

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

/**
 * Slugs a new org may not take: with them, a route of the org would reach another route. `status`:
 * GET /api/v1/pipelines/status/runs is the daily pipeline status of an org `runs`, not the run list
 * of an org `status` (a static segment wins over a parameter). A spec derives this list from the
 * app's routes, so a route that shadows another slug fails it.
 */
export const RESERVED_ORG_SLUGS: readonly string[] = ['status'];

/**
 * The ends of a new org's slug: a letter or digit. The dashboard's own `organizations` table
 * checks `^[a-z0-9][a-z0-9_-]*[a-z0-9]$` (reference data-model §5.2), so on Supabase a slug like
 * `_acme` or `acme_` failed that CHECK halfway through onboarding (a 500 after the rollback).
 * Existing slugs are not held to it (OrgSlugField).
 */
export const NEW_ORG_SLUG_ENDS = /^[a-z0-9](?:.*[a-z0-9])?$/;

/**
 * NewOrgSlugField's rules as one pattern, for the document: ORG_SLUG with a letter or digit at both
 * ends (NEW_ORG_SLUG_ENDS), and none of RESERVED_ORG_SLUGS. ORG_SLUG's alone documented `_acme` and
 * `status` as taken, and a client checking a form against the document sent them to get a 422.
 */
const NEW_ORG_SLUG_PATTERN = `^(?!(?:${RESERVED_ORG_SLUGS.join('|')})$)[a-z0-9][a-z0-9_]{1,48}[a-z0-9]$`;

/** The slug of an org being created: OrgSlugField, letters or digits at both ends, and none of RESERVED_ORG_SLUGS. */
export const NewOrgSlugField = (description = 'Organization slug') =>
  applyDecorators(
    OrgSlugField(description),
    // Applied after OrgSlugField's: the pattern of what this field takes.
    ApiProperty({ pattern: NEW_ORG_SLUG_PATTERN, description }),
    Matches(NEW_ORG_SLUG_ENDS, {
      message: '$property must begin and end with a lowercase letter or a digit',
    }),
    IsNotIn(RESERVED_ORG_SLUGS, {
      message: `$property must not be ${RESERVED_ORG_SLUGS.join(', ')}: an org so named could not reach some of its routes`,
    }),
  );

/** `:org` path parameter; the name must stay `org`, which the auth guards compare with the key's org. */
export class OrgParamDto {
  @OrgSlugField()
  org: string;
}
