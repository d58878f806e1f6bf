import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, param, WAREHOUSE, type Warehouse } from '#warehouse';

const TABLE = 'org_api_keys';

export interface NewKeyRow {
  org_api_key_id: string;
  org_slug: string;
  org_api_key_hash: string;
  encrypted_org_api_key: Buffer;
  scopes: string[];
  is_active: boolean;
  expires_at: null;
  created_at: Date;
  key_fingerprint: string;
  description: string | null;
  [column: string]: unknown;
}

export interface ActiveKeyRow {
  org_api_key_id: string;
  org_api_key_hash: string;
  key_fingerprint: string | null;
  created_at: Date;
  scopes: string[] | null;
  expires_at: Date | null;
  [column: string]: unknown;
}

/** Reads and writes of `org_api_keys` for key management (the guards' lookup lives in auth/). */
@Injectable()
export class OrgApiKeyRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  /** The org profile's status, or null when the org has no profile. */
  async orgStatus(org: string): Promise<string | null> {
    const rows = await this.warehouse.query<{ status: string }>(
      `SELECT status FROM ${central('org_profiles')} WHERE org_slug = @org LIMIT 1`,
      { org },
    );
    return rows[0]?.status ?? null;
  }

  async insert(row: NewKeyRow): Promise<void> {
    await this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: TABLE }, [row]);
  }

  /** Active keys that have not expired at `now`, newest first. */
  async activeKeys(org: string, now: Date, limit = 100): Promise<ActiveKeyRow[]> {
    return this.warehouse.query<ActiveKeyRow>(
      `SELECT org_api_key_id, org_api_key_hash, key_fingerprint, created_at, scopes, expires_at
       FROM ${central(TABLE)}
       WHERE org_slug = @org AND is_active = TRUE AND (expires_at IS NULL OR expires_at > @now)
       ORDER BY created_at DESC
       LIMIT @limit`,
      { org, now: param.timestamp(now), limit: param.int(limit) },
    );
  }

  /**
   * The encrypted copy of the newest active, unexpired key, a permanent one (no expiry) before one
   * being retired; with `permanentOnly`, never a key being retired. Null when there is none or it
   * has no copy.
   */
  async newestActiveCiphertext(org: string, now: Date, permanentOnly = false): Promise<Buffer | null> {
    const rows = await this.warehouse.query<{ encrypted_org_api_key: Buffer | null }>(
      `SELECT encrypted_org_api_key
       FROM ${central(TABLE)}
       WHERE org_slug = @org AND is_active = TRUE AND (expires_at IS NULL OR expires_at > @now)
         ${permanentOnly ? 'AND expires_at IS NULL' : ''}
       ORDER BY CASE WHEN expires_at IS NULL THEN 0 ELSE 1 END, created_at DESC
       LIMIT 1`,
      { org, now: param.timestamp(now) },
    );
    return rows[0]?.encrypted_org_api_key ?? null;
  }

  async findOrgByHash(hash: string): Promise<string | null> {
    const rows = await this.warehouse.query<{ org_slug: string }>(
      `SELECT org_slug FROM ${central(TABLE)} WHERE org_api_key_hash = @hash LIMIT 1`,
      { hash },
    );
    return rows[0]?.org_slug ?? null;
  }

  /** Revokes at once every active key of the org except `keepId` (all of them when null). */
  async revokeActive(org: string, now: Date, keepId: string | null = null): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central(TABLE)} SET is_active = FALSE, revoked_at = @now
       WHERE org_slug = @org AND is_active = TRUE AND org_api_key_id <> @keep`,
      { org, now: param.timestamp(now), keep: keepId ?? '' },
    );
  }

  /**
   * Lets every active key of the org except `keepId` work until `expiresAt`; a key already due to
   * expire sooner keeps its earlier expiry, so a grace period never extends a key's life.
   */
  async expireActive(org: string, now: Date, expiresAt: Date, keepId: string): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central(TABLE)}
       SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < @expires THEN expires_at
                             ELSE @expires END
       WHERE org_slug = @org AND is_active = TRUE AND org_api_key_id <> @keep
         AND (expires_at IS NULL OR expires_at > @now)`,
      { org, now: param.timestamp(now), expires: param.timestamp(expiresAt), keep: keepId },
    );
  }

  async revokeById(keyId: string, now: Date): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central(TABLE)} SET is_active = FALSE, revoked_at = @now WHERE org_api_key_id = @id`,
      { id: keyId, now: param.timestamp(now) },
    );
  }

  async revokeByHash(hash: string, now: Date): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central(TABLE)} SET is_active = FALSE, revoked_at = @now
       WHERE org_api_key_hash = @hash AND is_active = TRUE`,
      { hash, now: param.timestamp(now) },
    );
  }

  async count(org: string): Promise<number> {
    const rows = await this.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${central(TABLE)} WHERE org_slug = @org`,
      { org },
    );
    return Number(rows[0]?.n ?? 0);
  }

  async deleteAll(org: string): Promise<number> {
    return this.warehouse.execute(`DELETE FROM ${central(TABLE)} WHERE org_slug = @org`, { org });
  }
}
