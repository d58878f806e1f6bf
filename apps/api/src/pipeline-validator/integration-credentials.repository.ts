import { Inject, Injectable } from '@nestjs/common';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';
import { storedProvidersFor, USABLE_CREDENTIAL_SQL } from '../common/usable-credential.js';

export interface StoredCredential {
  credential_id: string;
  provider: string;
  credential_type: string;
  credential_name: string | null;
  encrypted_credential: Buffer;
  metadata: unknown;
  [k: string]: unknown;
}

/** The org's usable credential for a provider, under any of its names (see USABLE_CREDENTIAL_SQL). */
const USABLE = `org_slug = @org AND provider IN UNNEST(@providers) AND ${USABLE_CREDENTIAL_SQL}`;

/** Reads central org_integration_credentials for the validator's required-integration check. */
@Injectable()
export class IntegrationCredentialsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async hasUsable(org: string, provider: string): Promise<boolean> {
    const rows = await this.warehouse.query(
      `SELECT credential_id FROM ${central('org_integration_credentials')} WHERE ${USABLE} LIMIT 1`,
      { org, providers: storedProvidersFor(provider), now: new Date() },
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
      { org, providers: storedProvidersFor(provider), now: new Date() },
    );
    return row ?? null;
  }
}
