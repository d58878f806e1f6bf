import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';
import type { RouteAuthKind } from './controller-routes.js';
import { clientAddressKey, type LookupTicket } from './auth-failure-limiter.js';
import { hashApiKey, type OrgKeyPrincipal } from './auth.types.js';

/** What the auth guards and the checks made before a body is read read of a request, and answer. */

export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function sha256(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}

/** Whether a secret sent by a client is the configured one; constant-time: both sides are hashed to equal length first. */
export function secretMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** Past the end of a rotation's grace period. */
export function expired(principal: OrgKeyPrincipal): boolean {
  return principal.expiresAt !== null && principal.expiresAt.getTime() <= Date.now();
}

export function pathOrg(req: FastifyRequest): string | undefined {
  const params = req.params as Record<string, string> | undefined;
  return params?.org;
}

/** Whether the org key decides the request: an org route, or an org-or-root route sent no root key. */
export const orgKeyDecides = (req: FastifyRequest, kind: RouteAuthKind) =>
  kind === 'org' || (kind === 'org-or-root' && header(req, 'x-ca-root-key') === undefined);

export const rootKeyRequired = () =>
  new PlatformError(PlatformErrorCode.RootKeyRequired, 'Provide the X-CA-Root-Key header.', {
    headers: { 'WWW-Authenticate': 'RootKey' },
  });

export const rootKeyInvalid = () =>
  new PlatformError(PlatformErrorCode.RootKeyInvalid, 'The root API key is not valid.');

export const apiKeyRequired = () =>
  new PlatformError(PlatformErrorCode.ApiKeyRequired, 'Provide the X-API-Key header.', {
    headers: { 'WWW-Authenticate': 'ApiKey' },
  });

export const credentialsRequired = () =>
  new PlatformError(PlatformErrorCode.AuthRequired, 'Provide X-API-Key (org) or X-CA-Root-Key (root).', {
    headers: { 'WWW-Authenticate': 'ApiKey, RootKey' },
  });

/** The org key's SHA-256, once per request: the checks before the body, the rate-limit tracker and the guard each need it. */
export function keyHashOf(req: FastifyRequest, key: string): string {
  const known = req.orgKeyHash;
  if (known?.key === key) return known.hash;
  const hash = hashApiKey(key);
  req.orgKeyHash = { key, hash };
  return hash;
}

/**
 * The answer of `check` for the request's org key, kept for the rest of the request: asked again,
 * it is given without another lookup (and `early`, a lookup counted in flight, ended unused).
 */
export async function checkedOnce(
  req: FastifyRequest,
  early: LookupTicket | undefined,
  check: () => Promise<OrgKeyPrincipal>,
): Promise<OrgKeyPrincipal> {
  const key = header(req, 'x-api-key');
  const checked = req.orgKeyCheck;
  if (checked && checked.key === key) {
    early?.end(false);
    if (checked.principal) return checked.principal;
    throw checked.error;
  }
  try {
    const principal = await check();
    if (key) req.orgKeyCheck = { key, principal };
    req.keyOrg = principal.orgSlug;
    return principal;
  } catch (error) {
    if (key && error instanceof PlatformError) req.orgKeyCheck = { key, error };
    throw error;
  }
}

/**
 * The rate limits' tracker of a request without a valid root key: its org key when known to be
 * valid (`principal`), its org noted for the access log (`keyOrg`), else the client's address.
 */
export function orgKeyOrAddress(req: FastifyRequest, principal: OrgKeyPrincipal | undefined): string {
  // No address once the client has hung up (Fastify reads it off the socket): counted as one.
  if (!principal) return `ip:${clientAddressKey((req.ip as string | undefined) ?? 'unknown')}`;
  req.keyOrg = principal.orgSlug;
  return `key:${principal.apiKeyId}`;
}

/** Swallows a refusal (a PlatformError), rethrows anything else. */
export function refusedOnly(err: unknown): void {
  if (!(err instanceof PlatformError)) throw err;
}
