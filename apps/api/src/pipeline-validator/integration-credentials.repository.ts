import { Inject, Injectable } from '@nestjs/common';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';

export interface StoredCredential {
  credential_id: string;
  provider: string;
  credential_type: string;
  credential_name: string | null;
  encrypted_credential: Buffer;
  metadata: unknown;
  [k: string]: unknown;
}

/** The org's usable credential for a provider: active, VALID, and not past a scheduled deactivation. */
const USABLE = `org_slug = @org AND provider = @provider AND is_active = TRUE AND validation_status = 'VALID'
  AND (deactivation_scheduled_at IS NULL OR deactivation_scheduled_at > @now)`;

/** Reads central org_integration_credentials for the validator's required-integration check. */
@Injectable()
export class IntegrationCredentialsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async hasUsable(org: string, provider: string): Promise<boolean> {
    const rows = await this.warehouse.query(
      `SELECT credential_id FROM ${central('org_integration_credentials')} WHERE ${USABLE} LIMIT 1`,
      { org, provider, now: new Date() },
    );
    return rows.length > 0;
  }

  /** The newest usable credential, ciphertext included; null when there is none. */
  async findUsable(org: string, provider: string): Promise<StoredCredential | null> {
    const [row] = await this.warehouse.query<StoredCredential>(
      `SELECT credential_id, provider, credential_type, credential_name, encrypted_credential, metadata
       FROM ${central('org_integration_credentials')}
       WHERE ${USABLE}
       ORDER BY created_at DESC
       LIMIT 1`,
      { org, provider, now: new Date() },
    );
    return row ?? null;
  }
}
