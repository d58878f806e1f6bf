import { ApiNotFoundResponse } from '@nestjs/swagger';

/**
 * The 404 of a route that looks up the {org} of its path (or body): the root key may name a slug
 * no organization has, and the filter then answers ORG_NOT_FOUND as problem+json.
 */
export const ApiOrgNotFound = (when = 'no organization has this slug') =>
  ApiNotFoundResponse({ description: `ORG_NOT_FOUND: ${when}` });
