import { Inject, Injectable } from '@nestjs/common';
import { type ApiKeyLookup, type OrgKeyPrincipal, storedKeyScopes } from '#platform';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';
import { ApiKeyUsageRecorder } from './api-key-usage.recorder.js';

interface KeyRow {
  org_api_key_id: string;
  org_slug: string;
  scopes: string[] | null;
  key_fingerprint: string | null;
  expires_at: Date | null;
  [k: string]: unknown;
}

/** The org-key lookup of the auth guards: an active key whose org profile is ACTIVE. */
@Injectable()
export class ApiKeyRepository implements ApiKeyLookup {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly usage: ApiKeyUsageRecorder,
  ) {}

  recordUse(principal: OrgKeyPrincipal): void {
    this.usage.record(principal.apiKeyId);
  }

  async findActiveByHash(keyHash: string): Promise<OrgKeyPrincipal | null> {
    const rows = await this.warehouse.query<KeyRow>(
      `SELECT k.org_api_key_id, k.org_slug, k.scopes, k.key_fingerprint, k.expires_at
       FROM ${central('org_api_keys')} k
       JOIN ${central('org_profiles')} p ON p.org_slug = k.org_slug
       WHERE k.org_api_key_hash = @hash AND k.is_active = TRUE AND p.status = 'ACTIVE'
       LIMIT 1`,
      { hash: keyHash },
      { timeoutMs: 10_000 },
    );
    const row = rows[0];
    if (!row) return null;
    return {
      orgSlug: row.org_slug,
      apiKeyId: row.org_api_key_id,
      scopes: storedKeyScopes(row.scopes, row.key_fingerprint),
      expiresAt: row.expires_at,
    };
  }
}
