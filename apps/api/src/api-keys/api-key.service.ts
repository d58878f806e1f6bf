import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CryptoError, CryptoErrorCode, ENCRYPTOR, type Encryptor } from '#crypto';
import { ApiKeyCache, DomainError, hashApiKey, ORG_SCOPES, storedKeyScopes } from '#platform';
import { ApiKeyError, ApiKeyErrorCode } from './api-keys.errors.js';
import { generateApiKey, hashFingerprint, keyEncryptionContext, keyFingerprint } from './api-key-material.js';
import { type ActiveKeyRow, OrgApiKeyRepository } from './api-key.repository.js';
import { checkCallerStillPermanent, lastExpiry } from './api-key-retirement.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

/** A freshly issued key: the only moment the plaintext exists outside its encrypted copy. */
export interface IssuedKey {
  apiKey: string;
  keyId: string;
  fingerprint: string;
  scopes: string[];
  createdAt: Date;
}

export interface RotatedKey extends IssuedKey {
  /**
   * Whether the org had active keys that this rotation retired (at once or at the grace period's
   * end); 'unknown' when retiring them failed and neither the outcome could be read back.
   */
  previousKeysRetired: boolean | 'unknown';
  /** When the previous keys stop working (grace period), or null when they were revoked at once (or none were). */
  previousKeysExpireAt: Date | null;
}

export interface ActiveKeyInfo {
  keyId: string;
  fingerprint: string;
  createdAt: Date;
  scopes: string[];
  expiresAt: Date | null;
}

export interface IssueOptions {
  scopes?: string[];
  description?: string;
}

const KNOWN_SCOPES: ReadonlySet<string> = new Set(ORG_SCOPES);

/**
 * Org API keys: issue, rotate, revoke, reveal. Keys are stored as a SHA-256 hash (the lookup value)
 * plus an encrypted copy bound to the org; every change that can stop a key working clears the
 * auth cache on every instance.
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);

  constructor(
    private readonly repository: OrgApiKeyRepository,
    @Inject(ENCRYPTOR) private readonly encryptor: Encryptor,
    private readonly cache: ApiKeyCache,
  ) {}

  /** Stores a new key (nothing is stored when encryption fails) and returns its plaintext once. */
  async issue(org: string, opts: IssueOptions = {}): Promise<IssuedKey> {
    const scopes = this.checkedScopes(opts.scopes);
    const apiKey = generateApiKey(org);
    const encrypted = await this.encrypt(apiKey, org);
    const issued: IssuedKey = {
      apiKey,
      keyId: randomUUID(),
      fingerprint: keyFingerprint(apiKey),
      scopes,
      createdAt: new Date(),
    };
    await this.repository.insert({
      org_api_key_id: issued.keyId,
      org_slug: org,
      org_api_key_hash: hashApiKey(apiKey),
      encrypted_org_api_key: encrypted,
      scopes,
      is_active: true,
      expires_at: null,
      created_at: issued.createdAt,
      key_fingerprint: issued.fingerprint,
      description: opts.description ?? null,
    });
    return issued;
  }

  /**
   * Issues a new key with the scopes of the key it replaces, then retires the others: at once
   * (grace 0) or when the grace period ends. The new key is stored first so that a failure never
   * leaves the org without a working key. `callerKeyId`, the org key the request came with, must
   * still be a permanent key (see checkCallerStillPermanent), and it is the key replaced: the new
   * one has its scopes, never more (an org can have two permanent keys, one issued by a re-sync
   * next to a key it could not show; the newest one's scopes would hand a narrower key all of
   * them). With the root key, the newest active key is the one replaced.
   */
  async rotate(org: string, graceSeconds = 0, callerKeyId: string | null = null): Promise<RotatedKey> {
    await this.assertActiveOrg(org);
    const active = await this.repository.activeKeys(org, new Date());
    const replaced = callerKeyId !== null ? checkCallerStillPermanent(active, callerKeyId) : active[0];
    const scopes = replaced ? storedKeyScopes(replaced.scopes, replaced.key_fingerprint) : [];
    const issued = await this.issue(org, {
      scopes: scopes.length ? scopes : undefined,
      description: 'Rotated API key',
    });
    const { retired, expiresAt } = await this.invalidatedAfter(
      () => this.retireOthers(org, issued.keyId, graceSeconds, true),
      () => this.cache.invalidateOrg(org),
    );
    // Whether a working key was there to retire (the UPDATE's count also takes in keys already
    // past their expiry, and is lost when it reported an error yet applied).
    const previousKeysRetired = retired === 'unknown' ? retired : replaced !== undefined && retired !== 0;
    const previousKeysExpireAt = retired === 'unknown' ? null : lastExpiry(active, expiresAt);
    return { ...issued, previousKeysRetired, previousKeysExpireAt };
  }

  /** Recovery path: every active key is revoked at once and a new one with the default scopes issued. */
  async regenerate(org: string): Promise<IssuedKey> {
    await this.assertActiveOrg(org);
    const issued = await this.issue(org, { description: 'Regenerated API key' });
    await this.invalidatedAfter(
      () => this.retireOthers(org, issued.keyId, 0),
      () => this.cache.invalidateOrg(org),
    );
    return issued;
  }

  /** The org of the key with this hash (revoked or not); null when no key has it. */
  orgOfHash(hash: string): Promise<string | null> {
    return this.repository.findOrgByHash(hash);
  }

  /**
   * Revokes the key with this hash; null when no key has it. Revoking a revoked key is a no-op
   * (`revoked` false: no active key had the hash).
   */
  async revokeByHash(hash: string): Promise<{ orgSlug: string; revoked: boolean } | null> {
    const orgSlug = await this.repository.findOrgByHash(hash);
    if (!orgSlug) return null;
    const revoked = await this.invalidatedAfter(
      async () => (await this.repository.revokeByHash(hash, new Date())) > 0,
      () => this.cache.invalidateHash(hash),
    );
    return { orgSlug, revoked };
  }

  async revokeAll(org: string): Promise<number> {
    return this.invalidatedAfter(
      () => this.repository.revokeActive(org, new Date()),
      () => this.cache.invalidateOrg(org),
    );
  }

  /** Whether the org has an active key without an expiry (one not in a rotation's grace period). */
  async hasPermanentKey(org: string): Promise<boolean> {
    return (await this.repository.activeKeys(org, new Date())).some((k) => k.expires_at === null);
  }

  /** The newest active, unexpired key. */
  async activeKey(org: string): Promise<ActiveKeyInfo | null> {
    const [row] = await this.repository.activeKeys(org, new Date(), 1);
    return row ? toInfo(row) : null;
  }

  /** The plaintext of the newest active key, decrypted from its stored copy; null when there is none. */
  async revealActive(org: string, { permanentOnly = false } = {}): Promise<string | null> {
    const ciphertext = await this.repository.newestActiveCiphertext(org, new Date(), permanentOnly);
    if (!ciphertext?.length) return null;
    const plaintext = await this.encryptor.decrypt(ciphertext, keyEncryptionContext(org));
    return plaintext.toString('utf8');
  }

  /**
   * revealActive, taking a stored copy that the encryption key cannot read (its key file was lost and
   * replaced, ALLOW_NEW_ENCRYPTION_KEY) for no copy: the key still works, it only cannot be shown.
   */
  async revealActiveIfReadable(
    org: string,
    options: { permanentOnly?: boolean } = {},
  ): Promise<string | null> {
    try {
      return await this.revealActive(org, options);
    } catch (err) {
      if (!(err instanceof CryptoError && err.code === CryptoErrorCode.DecryptFailed)) throw err;
      this.logger.warn(`The stored copy of the API key of '${org}' cannot be decrypted with the current key`);
      return null;
    }
  }

  /** The org's keys changed standing (its profile was activated): every instance looks them up again. */
  async forgetOrg(org: string): Promise<void> {
    await this.invalidate(() => this.cache.invalidateOrg(org));
  }

  countKeys(org: string): Promise<number> {
    return this.repository.count(org);
  }

  /** Offboarding: deletes every key row of the org. */
  async deleteAll(org: string): Promise<number> {
    return this.invalidatedAfter(
      () => this.repository.deleteAll(org),
      () => this.cache.invalidateOrg(org),
    );
  }

  /** The org must have a profile (404) whose status is ACTIVE (400). */
  async assertActiveOrg(org: string): Promise<void> {
    const status = await this.repository.orgStatus(org);
    if (status === null) throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);
    if (status !== 'ACTIVE')
      throw new OrgError(
        OrgErrorCode.NotActive,
        `Organization '${org}' is not active (status: ${status}). Contact support.`,
      );
  }

  /**
   * Retires every active key but `keepId`: how many (null when the count is lost, see below) and
   * when they stop working (null when at once, or when there were none). When that fails and
   * whether it applied cannot be read back either, a rotation (`keepUnknown`) still answers its new
   * key, which works: failing would hide it while the caller's own key may already be retired, the
   * org then locked out until the root key regenerates one. A regeneration fails instead, since its
   * caller must know the old keys are gone, and can simply regenerate again.
   */
  private async retireOthers(
    org: string,
    keepId: string,
    graceSeconds: number,
    keepUnknown = false,
  ): Promise<{ retired: number | null | 'unknown'; expiresAt: Date | null }> {
    const now = new Date();
    const expiresAt = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    try {
      const retired = expiresAt
        ? await this.repository.expireActive(org, now, expiresAt, keepId)
        : await this.repository.revokeActive(org, now, keepId);
      return { retired, expiresAt: retired > 0 ? expiresAt : null };
    } catch (err) {
      // A failed UPDATE may still have been applied: a BigQuery job can commit after its call timed
      // out. Look before undoing, or the org could be left with no working key at all.
      const outcome = await this.retirementOutcome(org, keepId, expiresAt).catch(() => 'unknown' as const);
      if (outcome === 'applied') {
        this.logger.warn(
          `Rotation for org ${org}: retiring the old keys reported ${String(err)}, yet it applied`,
        );
        return { retired: null, expiresAt };
      }
      if (outcome === 'unknown') {
        this.logger.error(`Rotation for org ${org}: whether its old keys were retired is unknown`);
        if (keepUnknown) return { retired: 'unknown', expiresAt };
        throw err;
      }
      // The old keys still work, so take the new one back: the rotation fails as a whole.
      await this.repository
        .revokeById(keepId, new Date())
        .catch((undo: unknown) =>
          this.logger.error(
            `Rotation for org ${org} failed and its new key ${keepId} could not be revoked: ${String(undo)}`,
          ),
        );
      throw err;
    }
  }

  /** Whether every active key but `keepId` is retired as asked (revoked, or expiring by `expiresAt`). */
  private async retirementOutcome(
    org: string,
    keepId: string,
    expiresAt: Date | null,
  ): Promise<'applied' | 'not applied'> {
    const live = await this.repository.activeKeys(org, new Date());
    const unretired = live.filter(
      (k) =>
        k.org_api_key_id !== keepId &&
        (expiresAt === null || k.expires_at === null || new Date(k.expires_at) > expiresAt),
    );
    return unretired.length ? 'not applied' : 'applied';
  }

  /**
   * `write`, then the cache invalidation, also when the write failed: a failed UPDATE may still
   * have applied (a BigQuery job can commit after its call timed out), and the keys it revoked
   * kept working from every instance's cache until the entries expired.
   */
  private async invalidatedAfter<T>(write: () => Promise<T>, publish: () => Promise<void>): Promise<T> {
    try {
      return await write();
    } finally {
      await this.invalidate(publish);
    }
  }

  /**
   * After the database change (or one that failed, and may have applied); if the broadcast fails,
   * instances forget the key when their short cache entry expires. Failing the request instead would hide a new key from its caller.
   */
  private async invalidate(publish: () => Promise<void>): Promise<void> {
    try {
      await publish();
    } catch (err) {
      this.logger.warn(`API key cache invalidation could not be broadcast: ${String(err)}`);
    }
  }

  private async encrypt(apiKey: string, org: string): Promise<Buffer> {
    try {
      return await this.encryptor.encrypt(apiKey, keyEncryptionContext(org));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new CryptoError(CryptoErrorCode.EncryptFailed, 'The API key could not be encrypted.', {
        cause: err,
      });
    }
  }

  private checkedScopes(scopes: string[] | undefined): string[] {
    if (scopes === undefined) return [...ORG_SCOPES];
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length || scopes.length === 0)
      throw new ApiKeyError(
        ApiKeyErrorCode.InvalidScope,
        unknown.length
          ? `Unknown scope(s): ${unknown.join(', ')}. Allowed: ${ORG_SCOPES.join(', ')}.`
          : 'A key needs at least one scope.',
      );
    return [...new Set(scopes)];
  }
}

function toInfo(row: ActiveKeyRow): ActiveKeyInfo {
  return {
    keyId: row.org_api_key_id,
    fingerprint: row.key_fingerprint ?? hashFingerprint(row.org_api_key_hash),
    createdAt: row.created_at,
    scopes: storedKeyScopes(row.scopes, row.key_fingerprint),
    expiresAt: row.expires_at,
  };
}
