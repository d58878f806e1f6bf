import { decodeEnvelope, type EncryptorKind, printableKeyId } from '#crypto';
import { CENTRAL_DATASET, central, type Warehouse } from '#warehouse';

/** A key that wrapped stored values, and how many values in use it wrapped. */
export interface StoredKey {
  kind: EncryptorKind;
  keyId: string;
  values: number;
}

/** Where encrypted values live: the org API keys' copies (dev reveal) and provider credentials. */
const SECRET_COLUMNS = [
  { table: 'org_api_keys', column: 'encrypted_org_api_key' },
  { table: 'org_integration_credentials', column: 'encrypted_credential' },
] as const;

/**
 * The keys that wrapped the encrypted values still in use (active and not expired): each blob
 * records its key's id in its header, so no key is needed to read them. Revoked and expired values
 * are never decrypted again, so they do not count. Nothing before the central tables exist.
 */
export async function storedSecretKeys(warehouse: Warehouse): Promise<StoredKey[]> {
  if (!(await warehouse.datasetExists(CENTRAL_DATASET))) return [];
  const tables = new Set(await warehouse.listTables(CENTRAL_DATASET));
  const keys = new Map<string, StoredKey>();
  for (const { table, column } of SECRET_COLUMNS) {
    if (!tables.has(table)) continue;
    const rows = await warehouse.query<{ blob: Buffer | null }>(
      `SELECT ${column} AS blob FROM ${central(table)}
       WHERE is_active = TRUE AND ${column} IS NOT NULL AND (expires_at IS NULL OR expires_at > @now)`,
      { now: new Date() },
    );
    for (const { blob } of rows) {
      if (!blob?.length) continue;
      let kind: EncryptorKind;
      let keyId: string;
      try {
        ({ kind, keyId } = decodeEnvelope(blob));
      } catch {
        continue; // Not readable with any key; the key check has nothing to say about it.
      }
      const name = `${kind}:${keyId}`;
      const known = keys.get(name) ?? { kind, keyId, values: 0 };
      known.values += 1;
      keys.set(name, known);
    }
  }
  return [...keys.values()];
}

/** `12 values under local key 1a2b3c4d` for messages; key ids are shown bounded (printableKeyId). */
export function describeStoredKeys(keys: StoredKey[]): string {
  return keys
    .map(
      (k) => `${k.values} value${k.values === 1 ? '' : 's'} under ${k.kind} key ${printableKeyId(k.keyId)}`,
    )
    .join(', ');
}
