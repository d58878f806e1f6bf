import { randomBytes, randomUUID } from 'node:crypto';
import { hashApiKey, ORG_SCOPES } from '#platform';
import { CENTRAL_DATASET, type Warehouse } from '#warehouse';

export interface OrgKeyOptions {
  org?: string;
  scopes?: string[];
  expiresAt?: Date | null;
  isActive?: boolean;
  status?: 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  /** A key as the system this API replaces stored it: no fingerprint, the pipeline scopes. */
  legacy?: boolean;
}

/** A fresh org slug per test, so suites never depend on each other. */
export function anOrgSlug(prefix = 'org'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Writes an org profile and an API key straight into the central tables; returns the plaintext key. */
export async function anOrgWithKey(
  warehouse: Warehouse,
  options: OrgKeyOptions = {},
): Promise<{ org: string; key: string; keyId: string }> {
  const org = options.org ?? anOrgSlug();
  const key = `${org}_api_${randomBytes(24).toString('base64url').slice(0, 32)}`;
  const keyId = randomUUID();
  const now = new Date();
  const existing = await warehouse.query(
    `SELECT org_slug FROM \`${CENTRAL_DATASET}.org_profiles\` WHERE org_slug = @org`,
    { org },
  );
  if (!existing.length) {
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_profiles' }, [
      {
        org_slug: org,
        company_name: `Company ${org}`,
        admin_email: `admin@${org}.example`,
        org_dataset_id: `${org}_local`,
        status: options.status ?? 'ACTIVE',
        subscription_plan: 'STARTER',
        created_at: now,
      },
    ]);
  }
  await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_api_keys' }, [
    {
      org_api_key_id: keyId,
      org_slug: org,
      org_api_key_hash: hashApiKey(key),
      scopes:
        options.scopes ??
        (options.legacy ? ['pipelines:read', 'pipelines:write', 'pipelines:execute'] : [...ORG_SCOPES]),
      is_active: options.isActive ?? true,
      expires_at: options.expiresAt ?? null,
      created_at: now,
      key_fingerprint: options.legacy ? null : key.slice(-4),
    },
  ]);
  return { org, key, keyId };
}

/**
 * Writes a VALID, active integration credential of each of `providers` for `org` (its secret an
 * opaque placeholder: nothing here decrypts it), with `extra` columns over those.
 */
export async function integrationCredentials(
  warehouse: Warehouse,
  org: string,
  providers: string[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  await warehouse.insertRows(
    { dataset: CENTRAL_DATASET, table: 'org_integration_credentials' },
    providers.map((provider) => ({
      credential_id: randomUUID(),
      org_slug: org,
      provider,
      encrypted_credential: Buffer.from('ciphertext'),
      credential_type: 'API_KEY',
      validation_status: 'VALID',
      is_active: true,
      created_at: new Date(),
      ...extra,
    })),
  );
}
