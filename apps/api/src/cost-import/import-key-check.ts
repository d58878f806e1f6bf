import type { ApiKeyLookup } from '#platform';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/**
 * Refuses the swap of an import whose org key was revoked, expired or lost `org:write` after it
 * started: an upload may take ten minutes to arrive and a large file as long again to stage, and
 * without this a leaked key, revoked the moment the leak was seen, still replaced the org's costs
 * minutes later. Read from the key table itself, not the auth cache. `keyHash` null: the root key.
 */
export async function checkStartingKey(
  keys: ApiKeyLookup,
  org: string,
  keyHash: string | null,
  now = new Date(),
): Promise<void> {
  if (keyHash === null) return;
  const key = await keys.findActiveByHash(keyHash);
  const usable =
    key !== null &&
    key.orgSlug === org &&
    key.scopes.includes('org:write') &&
    (key.expiresAt === null || key.expiresAt > now);
  if (!usable)
    throw new CostImportError(
      CostImportErrorCode.KeyRevoked,
      'The API key that started the import was revoked, expired or lost org:write before its rows ' +
        'replaced the previous ones; nothing was changed. Import the file again with an active key.',
    );
}
