import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthService } from './auth.guards.js';
import { credentialsRequired, header } from './auth-request.js';

/** The routes' auth guards: each asks AuthService, which holds the checks they share. */
@Injectable()
export class RootKeyGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    req.auth = this.auth.checkRoot(req);
    return true;
  }
}

@Injectable()
export class OrgKeyGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}
  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    // Not this route's credential, but a wrong one is a guess all the same (see wrongRootKey).
    const wrong = this.auth.wrongRootKey(req);
    if (wrong) throw wrong;
    const principal = await this.auth.checkOrgKey(req);
    // Known before authorization, so a refusal is logged with the org whose key was used.
    req.auth = { kind: 'org', principal };
    this.auth.authorizeOrg(ctx, req, principal);
    return true;
  }
}

/** The root key when it is sent and valid; otherwise the org key (a wrong root key alone is refused). */
@Injectable()
export class OrgKeyOrRootGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}
  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const hasRoot = header(req, 'x-ca-root-key') !== undefined;
    const hasOrg = header(req, 'x-api-key') !== undefined;
    if (!hasRoot && !hasOrg) throw credentialsRequired();
    // A root key sent decides, an org key beside it or not: falling back to the org key served a
    // wrong root key's request while counting it as a failed authentication of the address.
    if (hasRoot) {
      req.auth = this.auth.checkRoot(req);
      return true;
    }
    const principal = await this.auth.checkOrgKey(req);
    // Known before authorization, so a refusal is logged with the org whose key was used.
    req.auth = { kind: 'org', principal };
    this.auth.authorizeOrg(ctx, req, principal);
    return true;
  }
}
