import { PlatformError, PlatformErrorCode } from '#platform';
import { ApiKeyError, ApiKeyErrorCode } from './api-keys.errors.js';
import type { ActiveKeyRow } from './api-key.repository.js';

/**
 * When the last of the retired keys stops working: a grace period never extends a key's life
 * (expireActive keeps an earlier expiry), so keys already due to expire sooner end before `expiresAt`.
 */
export function lastExpiry(retired: readonly ActiveKeyRow[], expiresAt: Date | null): Date | null {
  if (expiresAt === null || retired.length === 0) return expiresAt;
  const ends = retired.map((k) =>
    k.expires_at !== null && new Date(k.expires_at) < expiresAt
      ? new Date(k.expires_at).getTime()
      : expiresAt.getTime(),
  );
  return new Date(Math.max(...ends));
}

/**
 * A key being retired (a grace period running) must not rotate: whoever holds it, possibly the leak
 * the rotation answered, would get a permanent key and retire the new one. Checked here, on the
 * stored row, as the rotation's own failure (audited): the key may also have been revoked or
 * retired since the request came in, by a rotation sent at the same moment with the same key
 * (another tab, or whoever leaked it): the rotations take turns under the org's key lease, and the
 * later one would issue a permanent key from a key that no longer works and revoke the key the
 * first one just handed out.
 */
export function checkCallerStillPermanent(
  active: readonly ActiveKeyRow[],
  callerKeyId: string,
): ActiveKeyRow {
  const caller = active.find((k) => k.org_api_key_id === callerKeyId);
  if (!caller)
    throw new PlatformError(
      PlatformErrorCode.ApiKeyInvalid,
      'The API key was revoked by another rotation while this one waited; nothing was changed.',
      { headers: { 'WWW-Authenticate': 'ApiKey' } },
    );
  if (caller.expires_at !== null)
    throw new ApiKeyError(
      ApiKeyErrorCode.KeyRetiring,
      `This key is being retired (it stops working at ${new Date(caller.expires_at).toISOString()}); ` +
        'rotate with the current key or the root key.',
    );
  return caller;
}
