import type { OrgKeyPrincipal } from './auth.types.js';

/**
 * Looks an org key up by its hash: active key of an ACTIVE org, else null. Implemented by the app
 * over the central `org_api_keys` table; the platform only caches it.
 */
export interface ApiKeyLookup {
  findActiveByHash(keyHash: string): Promise<OrgKeyPrincipal | null>;
  /**
   * Told of every request a key authenticated (cache hits included), so `last_used_at` can be kept.
   * Must return at once: the implementation batches its writes.
   */
  recordUse?(principal: OrgKeyPrincipal): void;
}

export const API_KEY_LOOKUP = Symbol('API_KEY_LOOKUP');
