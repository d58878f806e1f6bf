import { type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '../platform.tokens.js';
import { AppConfig } from '../config/app-config.js';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';
import { validationError } from '../errors/validation.js';
import { ORG_SLUG, ORG_SLUG_MESSAGE } from '../http/org-slug.js';
import { ApiKeyCache } from './api-key-cache.js';
import {
  apiKeyRequired,
  checkedOnce,
  credentialsRequired,
  expired,
  header,
  keyHashOf,
  orgKeyDecides,
  orgKeyOrAddress,
  pathOrg,
  refusedOnly,
  rootKeyInvalid,
  secretMatches,
  rootKeyRequired,
} from './auth-request.js';
import { AUTH_FAILURE_WINDOW_MS, AuthFailureLimiter, type LookupTicket } from './auth-failure-limiter.js';
import { SharedAuthFailures } from './shared-auth-failures.js';
import { REQUIRED_SCOPES } from './auth.metadata.js';
import type { RouteAuthKind } from './controller-routes.js';
import { hashApiKey, type AuthContext, type OrgKeyPrincipal } from './auth.types.js';

/** A route's handler and controller, as an ExecutionContext names them. */
export type RouteHandler = ReturnType<ExecutionContext['getHandler']>;
export type RouteClass = ReturnType<ExecutionContext['getClass']>;

@Injectable()
export class AuthService {
  private readonly failures: AuthFailureLimiter;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeyCache,
    private readonly reflector: Reflector,
    @Optional() @Inject(REDIS_CLIENT) redis?: Redis | null,
  ) {
    // With Redis, one budget for an address on every instance (see SharedAuthFailures).
    const shared = redis
      ? new SharedAuthFailures(redis, `${config.redisPrefix}:auth-failures`, AUTH_FAILURE_WINDOW_MS)
      : undefined;
    this.failures = new AuthFailureLimiter(config.env.AUTH_FAILURES_PER_MINUTE, Date.now, shared);
  }

  checkRoot(req: FastifyRequest): AuthContext {
    const expected = this.config.rootApiKey;
    if (!expected)
      throw new PlatformError(
        PlatformErrorCode.RootKeyNotConfigured,
        'Set CA_ROOT_API_KEY to enable admin routes.',
      );
    const given = header(req, 'x-ca-root-key');
    if (!given) throw rootKeyRequired();
    const wrong = this.wrongRootKey(req);
    if (wrong) throw wrong;
    return { kind: 'root' };
  }

  /** Whether the request also carries the platform's root key (false when none is configured). */
  carriesRootKey(req: FastifyRequest): boolean {
    const expected = this.config.rootApiKey;
    const given = header(req, 'x-ca-root-key');
    return expected !== undefined && given !== undefined && secretMatches(given, expected);
  }

  /**
   * A root key sent and wrong, on any route (an org key beside it or not, an org-only route
   * included): 403, or 429 once its address failed too often this minute, each one counted as a
   * failed authentication of its address, so that guesses meet one bound everywhere. Asked before a
   * body is read (so a made-up root key cannot make the server read and parse bodies of up to the
   * body limit) and by the guards. On an org-only route a wrong root key was ignored, and the
   * validator's include_credentials (granted with the right one) answered whether a guess was right
   * without counting it. The right key is never held back. Undefined when none is sent, none is
   * configured (the guards answer 503 where the root key is needed), or it is right.
   */
  wrongRootKey(req: FastifyRequest): PlatformError | undefined {
    const given = header(req, 'x-ca-root-key');
    const expected = this.config.rootApiKey;
    if (given === undefined || expected === undefined || secretMatches(given, expected)) return undefined;
    const lockedOut = this.failures.lockout(req.ip);
    if (lockedOut) return lockedOut;
    this.failures.recordFailure(req.ip);
    return rootKeyInvalid();
  }

  /**
   * What the route's guard would refuse before anything is counted or looked up: no credentials of
   * the route's kind. Undefined when a key is sent (wrongRootKey and refusalBeforeBody
   * judge it next).
   */
  refusalBeforeLookup(req: FastifyRequest, kind: RouteAuthKind): PlatformError | undefined {
    const hasRoot = header(req, 'x-ca-root-key') !== undefined;
    const hasOrg = header(req, 'x-api-key') !== undefined;
    if (kind === 'org') return hasOrg ? undefined : apiKeyRequired();
    if (kind === 'org-or-root') return hasRoot || hasOrg ? undefined : credentialsRequired();
    if (kind === 'root' && !hasRoot && this.config.rootApiKey) return rootKeyRequired();
    return undefined;
  }

  /**
   * Before a body is read or parsed: an org key this instance has authenticated (the auth cache)
   * that names another org, or a malformed one, is refused then, so its body costs nothing and
   * whatever it holds, the answer is the 403 (or 422) the guards would give. A key not in the cache
   * is looked up next (refusalAfterLookup).
   */
  refusalBeforeBody(req: FastifyRequest, kind: RouteAuthKind): PlatformError | undefined {
    if (!orgKeyDecides(req, kind)) return undefined;
    const principal = this.cachedOrgKey(req);
    if (!principal) return undefined;
    try {
      this.authorizePath(req, principal);
      return undefined;
    } catch (err) {
      // Known before the refusal, as in the guards, so it is logged with the org whose key was used.
      req.auth = { kind: 'org', principal };
      if (err instanceof PlatformError) return err;
      throw err;
    }
  }

  /**
   * Whether the org key of a request with a body must be looked up before the body is read: the
   * route takes an org key, one is sent (and no root key, which the guards check first), and it is
   * not a usable key this instance knows (refusalBeforeBody answered for those). A key known to be
   * invalid or past its grace period is answered from the cache, without a lookup.
   */
  needsLookupBeforeBody(req: FastifyRequest, kind: RouteAuthKind): boolean {
    return orgKeyDecides(req, kind) && header(req, 'x-api-key') !== undefined && !this.cachedOrgKey(req);
  }

  /**
   * The refusal of a request whose org key this instance did not know (needsLookupBeforeBody), once
   * the key is looked up (the failed-authentication lockout first, as in the guards): an unknown,
   * revoked or expired key is 401, a key of another org 403, without its body (up to the body
   * limit) being read or parsed for nothing. Early lookups are held to the lockout's failures a
   * minute, those in flight included (AuthFailureLimiter.tryEarlyLookup); beyond them a request
   * goes the ordinary way, its body read and the rate limits counting it before the guards look its
   * key up. Undefined when the guards go on (the key cached for them, or not looked up early).
   */
  async refusalAfterLookup(req: FastifyRequest, kind: RouteAuthKind): Promise<PlatformError | undefined> {
    const lockedOut = this.lockoutOfOrgKeys(req);
    if (lockedOut) return lockedOut;
    // Past the failures (and early lookups in flight) its address may have, the request takes the
    // ordinary path instead: its body is read, then the rate limits count it before any lookup.
    // Refused by Redis, the address may be locked out on another instance: that 429 at once.
    const ticket = await this.failures.startEarlyLookup(req.ip);
    if (!ticket) return this.lockoutOfOrgKeys(req);
    try {
      await this.checkOrgKey(req, ticket);
    } catch (err) {
      if (err instanceof PlatformError) return err;
      throw err;
    }
    return this.refusalBeforeBody(req, kind);
  }

  /**
   * Before the rate limits count a request whose org key decides its route: the key looked up if
   * this instance does not know it, so a valid key's first request counts against the key, not the
   * IP (a dashboard's server calls for many orgs from one address: their first requests filled its
   * bucket, drawing the 429s meant for unauthenticated traffic). An early lookup, held to the
   * failures its address may have (as before a body): past them, or for a key known to be invalid,
   * the IP counts it unlooked up. checkOrgKey keeps the answer for the guard (one lookup a request).
   */
  async lookUpForRateLimits(req: FastifyRequest, kind: RouteAuthKind | undefined): Promise<void> {
    const key = header(req, 'x-api-key');
    if (req.rateLimitTracker || req.auth || !key || !kind || !orgKeyDecides(req, kind)) return;
    // A wrong root key: the guard's 403. The right one: the org key decides, looked up as by the guard.
    const root = header(req, 'x-ca-root-key') !== undefined;
    if ((root && !this.carriesRootKey(req)) || this.keys.known(keyHashOf(req, key)) !== undefined) return;
    if (root) return this.checkOrgKey(req).then(() => undefined, refusedOnly);
    const ticket = await this.failures.startEarlyLookup(req.ip);
    // Refused, the guard gives the same answer (kept), once the IP has counted the request.
    if (ticket) await this.checkOrgKey(req, ticket).catch((err: unknown) => refusedOnly(err));
  }

  /**
   * `early`: its lookup is counted in flight already (refusalAfterLookup, lookUpForRateLimits);
   * ended here. The answer is kept for the rest of the request: asked again (the guard after
   * an early lookup), it is given without another lookup, whatever the cache holds by then.
   */
  checkOrgKey(req: FastifyRequest, early?: LookupTicket): Promise<OrgKeyPrincipal> {
    return checkedOnce(req, early, () => this.lookUpOrgKey(req, early));
  }

  private async lookUpOrgKey(req: FastifyRequest, early?: LookupTicket): Promise<OrgKeyPrincipal> {
    let ticket = early;
    let failed = false;
    try {
      const key = header(req, 'x-api-key');
      if (!key) throw apiKeyRequired();
      const keyHash = keyHashOf(req, key);
      // Undefined: never looked up (or forgotten); null: looked up recently and found invalid.
      const known = this.keys.known(keyHash);
      // A client that keeps sending keys that fail is not given more lookups for a while.
      if (!known) {
        const lockedOut = this.lockoutOfOrgKeys(req);
        if (lockedOut) throw lockedOut;
      }
      // A lookup counts with the address's failures while in flight (AuthFailureLimiter.admitLookup).
      if (known === undefined && !ticket && !this.carriesRootKey(req)) {
        const admitted = await this.failures.admitLookup(req.ip);
        if (admitted instanceof PlatformError) throw admitted;
        ticket = admitted;
      }
      let principal: OrgKeyPrincipal | null;
      try {
        principal = await this.keys.resolve(keyHash);
      } catch (cause) {
        throw new PlatformError(
          PlatformErrorCode.AuthUnavailable,
          'The API key could not be checked; retry shortly.',
          { cause },
        );
      }
      if (!principal) {
        // Only a lookup counts, once a window per key (newFailure): the same stale key sent again
        // and again (a scheduler's old key) must not lock out the other keys sent from its
        // address (a pipeline service calls for every org from one egress IP).
        if (known === undefined && this.failures.newFailure(req.ip, keyHash)) {
          failed = true;
          if (!ticket) this.failures.recordFailure(req.ip);
        }
        throw new PlatformError(
          PlatformErrorCode.ApiKeyInvalid,
          'The API key is unknown, revoked or its organization is not active.',
          {
            headers: { 'WWW-Authenticate': 'ApiKey' },
          },
        );
      }
      if (expired(principal))
        throw new PlatformError(PlatformErrorCode.ApiKeyExpired, 'The API key has expired.', {
          headers: { 'WWW-Authenticate': 'ApiKey' },
        });
      this.keys.recordUse(principal);
      return principal;
    } finally {
      ticket?.end(failed);
    }
  }

  /**
   * The lockout as it applies to looking up an org key: never to a request that also carries the
   * right root key (the pipeline service sends both to validate; a stranger behind its egress
   * address failing keys must not stop its runs).
   */
  private lockoutOfOrgKeys(req: FastifyRequest): PlatformError | undefined {
    return this.carriesRootKey(req) ? undefined : this.failures.lockout(req.ip);
  }

  /**
   * The request's org key when this instance has authenticated it within the auth cache's TTL and
   * it is still usable (not revoked since: a revocation clears the cache; not past its grace
   * period). Never looks a key up; undefined means "ask checkOrgKey".
   */
  cachedOrgKey(req: FastifyRequest): OrgKeyPrincipal | undefined {
    const key = header(req, 'x-api-key');
    if (!key) return undefined;
    const principal = this.keys.known(keyHashOf(req, key));
    return principal && !expired(principal) ? principal : undefined;
  }

  /**
   * What checkOrgKey and authorizeOrg would admit, from the auth cache alone: the cached org key
   * of `org` holding every scope in `scopes`, for a request without a root key (which takes the
   * root path). Undefined whenever the full check could answer anything else.
   */
  admitsFromCache(req: FastifyRequest, org: string, scopes: readonly string[]): OrgKeyPrincipal | undefined {
    if (header(req, 'x-ca-root-key') !== undefined) return undefined;
    const principal = this.cachedOrgKey(req);
    if (!principal || principal.orgSlug !== org) return undefined;
    for (const s of scopes) if (!principal.scopes.includes(s)) return undefined;
    return principal;
  }

  /** Marks the request as authenticated by an org key, as the guards do. */
  admit(req: FastifyRequest, principal: OrgKeyPrincipal): void {
    req.auth = { kind: 'org', principal };
    this.keys.recordUse(principal);
  }

  /** The scopes a handler requires of an org key (its own, else its controller's). */
  requiredScopes(handler: RouteHandler, classRef: RouteClass): string[] {
    return this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_SCOPES, [handler, classRef]) ?? [];
  }

  /**
   * Whom a rate limit counts a request against: its key when the key is known to be valid (the
   * root key, or an org key this instance authenticated within the auth cache's TTL or for this
   * request, lookUpForRateLimits), else the client's IP. A key is never taken on trust nor looked
   * up here, or a client sending a new made-up key each time would get a fresh limit. Once a request.
   */
  rateLimitTracker(req: FastifyRequest, kind?: RouteAuthKind): string {
    // A request Fastify did not build (a unit test's) has no decoration: undefined is unknown too.
    return (req.rateLimitTracker ??= this.trackerOf(req, kind));
  }

  private trackerOf(req: FastifyRequest, kind?: RouteAuthKind): string {
    const rootKey = header(req, 'x-ca-root-key');
    // Not where the org key decides (kind 'org'): the root key beside it (the pipeline service's
    // validate) put every org's calls in the root key's one limit, sized for one org.
    if (rootKey && kind !== 'org' && (req.auth?.kind === 'root' || this.carriesRootKey(req)))
      return `root:${hashApiKey(rootKey).slice(0, 32)}`;
    if (req.auth?.kind === 'org') return `key:${req.auth.principal.apiKeyId}`;
    return orgKeyOrAddress(req, this.cachedOrgKey(req) ?? req.orgKeyCheck?.principal);
  }

  /** Tenant isolation and scopes, checked before any work. */
  authorizeOrg(ctx: ExecutionContext, req: FastifyRequest, principal: OrgKeyPrincipal): void {
    this.authorizePath(req, principal);
    const scopes = this.requiredScopes(ctx.getHandler(), ctx.getClass());
    const missing = scopes.filter((s) => !principal.scopes.includes(s));
    if (missing.length)
      throw new PlatformError(
        PlatformErrorCode.InsufficientScope,
        `This API key lacks the scope(s): ${missing.join(', ')}.`,
        {
          extra: { missing_scopes: missing },
        },
      );
  }

  /** Tenant isolation: the org the path names, if any, is the key's. */
  private authorizePath(req: FastifyRequest, principal: OrgKeyPrincipal): void {
    const org = pathOrg(req);
    // A malformed slug names no org at all: the caller mistyped it, which "another organization"
    // would misdescribe. Answered as the parameter's validation would (the root key gets that).
    if (org !== undefined && !ORG_SLUG.test(org))
      throw validationError([{ field: 'org', message: `org ${ORG_SLUG_MESSAGE}` }]);
    if (org !== undefined && org !== principal.orgSlug)
      throw new PlatformError(
        PlatformErrorCode.OrgForbidden,
        'This API key belongs to another organization.',
      );
  }
}
