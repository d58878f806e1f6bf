import { hash } from 'node:crypto';
import type { PlatformError } from '../errors/platform-errors.js';

export const ORG_SCOPES = [
  'pipelines:read',
  'pipelines:write',
  'pipelines:execute',
  'org:read',
  'org:write',
] as const;
export type OrgScope = (typeof ORG_SCOPES)[number];

/**
 * The scopes a stored key holds. Every key this API issues carries a fingerprint and the scopes it
 * was given. A key without a fingerprint was issued by the system this API replaces, which stored
 * the pipeline scopes on every key but never enforced them (its lookup did not read them): such a
 * key keeps what it could always do, every scope, rather than losing the org routes at cut-over.
 */
export function storedKeyScopes(scopes: readonly string[] | null, fingerprint: string | null): string[] {
  return fingerprint === null ? [...ORG_SCOPES] : [...(scopes ?? [])];
}

/** What an org API key resolves to. */
export interface OrgKeyPrincipal {
  orgSlug: string;
  apiKeyId: string;
  scopes: string[];
  /** After this instant the key is refused (rotation grace periods end here). */
  expiresAt: Date | null;
}

export type AuthContext = { kind: 'root' } | { kind: 'org'; principal: OrgKeyPrincipal };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth guards (or the kept-response path); null until then (a Fastify request decoration). */
    auth: AuthContext | null;
    /**
     * Per-request memos of the auth checks (decorations too, null until set). Not WeakMaps keyed
     * by the request: every such entry is an ephemeron V8's minor GCs must process, which made
     * them several times slower (and major GCs more frequent) under load.
     */
    orgKeyHash: { key: string; hash: string } | null;
    /** The answer of AuthService.checkOrgKey for the request's org key, once it is known. */
    orgKeyCheck:
      | { key: string; principal: OrgKeyPrincipal; error?: undefined }
      | { key: string; principal?: undefined; error: PlatformError }
      | null;
    /** Whom the rate limits count this request against (see AuthService.rateLimitTracker). */
    rateLimitTracker: string | null;
    /** Counted against its route's rate limits already (before its body was read); false until then. */
    rateLimitsCounted: boolean;
    /**
     * The org of the request's org key once the key is known to be valid (looked up, or counted
     * by the rate limits), before a guard admits it: the access log names it on a refusal that
     * comes first (a 429), where `auth` is still null.
     */
    keyOrg: string | null;
  }
}

/** Org keys are stored and looked up by the SHA-256 hex of the plaintext. */
export function hashApiKey(key: string): string {
  // The one-shot form: no Hash object per call (every authenticated request hashes its key).
  return hash('sha256', key, 'hex');
}

/** The org a request acts as: the key's org, or null for the root key. */
export function authOrg(auth: AuthContext | null | undefined): string | null {
  return auth?.kind === 'org' ? auth.principal.orgSlug : null;
}
