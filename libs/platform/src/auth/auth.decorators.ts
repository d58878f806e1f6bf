import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ApiHeader, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthContext, OrgScope } from './auth.types.js';
import { OrgKeyGuard, OrgKeyOrRootGuard, RootKeyGuard } from './route-guards.js';
import { AUTH_KIND, IS_PUBLIC, REQUIRED_SCOPES } from './auth.metadata.js';

/** Deliberately unauthenticated (health, docs). */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(AUTH_KIND, 'public'));

/** Root key (`X-CA-Root-Key`) only. */
export const RootKeyAuth = () =>
  applyDecorators(SetMetadata(AUTH_KIND, 'root'), UseGuards(RootKeyGuard), ApiSecurity('RootKey'));

/** Org key (`X-API-Key`) of the `:org` in the path, with every scope listed. */
export const OrgKeyAuth = (...scopes: OrgScope[]) =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'org'),
    SetMetadata(REQUIRED_SCOPES, scopes),
    UseGuards(OrgKeyGuard),
    ApiSecurity('ApiKey'),
  );

/** Either the org's key (with the scopes) or the root key, which may act for any org. */
export const OrgKeyOrRootAuth = (...scopes: OrgScope[]) =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'org-or-root'),
    SetMetadata(REQUIRED_SCOPES, scopes),
    UseGuards(OrgKeyOrRootGuard),
    ApiSecurity('ApiKey'),
    ApiSecurity('RootKey'),
  );

/** Documents the optional `X-User-ID` header the dashboard sends for the audit log. */
export const ApiUserHeader = () =>
  ApiHeader({ name: 'X-User-ID', required: false, description: 'Dashboard user, recorded in the audit log' });

/** The authenticated caller, as the guard left it. */
export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<FastifyRequest>().auth;
  if (!auth) throw new Error('CurrentAuth used on a route without an auth guard');
  return auth;
});
