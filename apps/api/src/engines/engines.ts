import { chmod, mkdir, stat } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { createEncryptor, CryptoError, type Encryptor } from '#crypto';
import { type AppConfig, ConfigValidationError, dataDirRefused } from '#platform';
import {
  PgliteTenancyDb,
  PgTenancyDb,
  SupabaseTenancyDb,
  type TenancyDb,
  TenancyDbError,
  TenancyDbErrorCode,
} from '#tenancy-db';
import { BigQueryWarehouse, DuckDbWarehouse, type Warehouse } from '#warehouse';
import { describeStoredKeys, storedSecretKeys } from './stored-secret-keys.js';

/** Opens the warehouse the configuration names; the embedded DuckDB file by default. */
export async function openWarehouse(config: AppConfig): Promise<Warehouse> {
  const env = config.env;
  if (env.WAREHOUSE_DRIVER === 'bigquery') {
    return new BigQueryWarehouse({
      projectId: env.GCP_PROJECT_ID as string,
      location: env.BIGQUERY_LOCATION,
      apiEndpoint: env.BIGQUERY_API_ENDPOINT,
      storageApiEndpoint: env.BIGQUERY_STORAGE_API_ENDPOINT,
      onStorageFallback: (e) =>
        new Logger('BigQuery').warn(
          `A frame was read from the REST pages instead of the Storage Read API (a refusal means the ` +
            `service account lacks BigQuery Read Session User; frames then skip the API for 10 minutes): ` +
            (e instanceof Error ? e.message : String(e)),
        ),
      defaultTimeoutMs: env.WAREHOUSE_QUERY_TIMEOUT_MS,
      maximumBytesBilled: env.BIGQUERY_MAX_BYTES_BILLED,
    });
  }
  await privateDataDir(config);
  if (config.duckdbPath !== ':memory:') ownerOnlyNewFiles();
  return DuckDbWarehouse.open({ path: config.duckdbPath, memoryLimit: config.duckdbMemoryLimit });
}

/**
 * DuckDB creates its write-ahead log (`<file>.wal`, every write since the last checkpoint: costs,
 * key hashes, encrypted credentials) and its spill folder (`<file>.tmp`) with the process's umask,
 * 0644 / 0755 under the usual 022, and creates the WAL again after each checkpoint, so no chmod
 * holds: a DUCKDB_PATH outside DATA_DIR left them readable by any local user. The process creates
 * its files for its owner alone instead (umask 077); nothing it writes is meant for others.
 */
function ownerOnlyNewFiles(): void {
  if (!isMainThread) return; // process.umask cannot be set from a worker thread
  const previous = process.umask(0o077);
  process.umask(previous | 0o077);
}

/** The configurations whose DATA_DIR was said to stay open: the warehouse and the tenancy DB both check it. */
const dataDirWarned = new WeakSet<AppConfig>();

/**
 * DATA_DIR holds what the embedded engines keep (every org's costs and key hashes, the tenancy DB,
 * whose files PGlite writes world-writable), uploads being imported and the development keys: it
 * is made, or made again, readable by its owner only.
 */
async function privateDataDir(config: AppConfig): Promise<void> {
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirRefused(config.dataDir, 'created', err);
  }
  try {
    // A shared folder (the sticky bit of /tmp) is not the app's to close: said, left as it is.
    if ((await stat(config.dataDir)).mode & 0o1000)
      throw new Error('it is a shared folder (sticky bit); give DATA_DIR a folder of its own');
    await chmod(config.dataDir, 0o700);
  } catch (e) {
    // A folder of another owner the process may write to (a mounted volume): said, not fatal.
    if (dataDirWarned.has(config)) return;
    dataDirWarned.add(config);
    new Logger('Engines').warn(
      `DATA_DIR ${config.dataDir} could not be made readable by its owner only: ${(e as Error).message}`,
    );
  }
}

/** Opens the tenancy DB and applies pending migrations (Supabase's own tooling applies them there). */
export async function openTenancyDb(config: AppConfig): Promise<TenancyDb> {
  const env = config.env;
  const schema = env.TENANCY_DB_SCHEMA;
  let db: TenancyDb;
  if (env.TENANCY_DB_DRIVER === 'postgres')
    db = await PgTenancyDb.open({
      connectionString: env.DATABASE_URL as string,
      schema,
      max: env.TENANCY_DB_POOL_SIZE,
      queryTimeoutMs: env.TENANCY_DB_QUERY_TIMEOUT_MS,
      preparedStatements: config.tenancyDbPreparedStatements,
    });
  else if (env.TENANCY_DB_DRIVER === 'supabase')
    db = await SupabaseTenancyDb.open({
      url: env.SUPABASE_URL as string,
      serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY as string,
      schema,
    });
  else {
    await privateDataDir(config);
    db = await PgliteTenancyDb.open({
      dataDir: config.pgliteDir === ':memory:' ? undefined : config.pgliteDir,
      lock: {
        setting: env.PGLITE_DIR === undefined ? 'DATA_DIR' : 'PGLITE_DIR',
        onLost: (e) =>
          new Logger('TenancyDb').error(
            `Lost the lock on the PGlite folder ${config.pgliteDir} (taking it again; meanwhile another process could open it): ` +
              e.message,
          ),
      },
    });
  }
  let applied: string[];
  try {
    applied = await db.migrate();
  } catch (err) {
    await db.close().catch(() => undefined);
    // The first query reaches the server: one it cannot reach (a mistyped host, a closed port)
    // named no setting ("The tenancy database is unavailable", then the driver's reason).
    if (
      env.TENANCY_DB_DRIVER === 'postgres' &&
      err instanceof TenancyDbError &&
      err.code === TenancyDbErrorCode.Unavailable
    )
      throw new Error('The tenancy database at DATABASE_URL could not be used', { cause: err });
    throw err;
  }
  if (applied.length) new Logger('TenancyDb').log(`Applied migrations: ${applied.join(', ')}`);
  return db;
}

/**
 * Cloud KMS when KMS_KEY_NAME is set, else the local key file, created when missing, but not over
 * stored values: a new key cannot read what the lost one encrypted, and would encrypt new values
 * with another key than the old ones. A start then stops, unless ALLOW_NEW_ENCRYPTION_KEY says to
 * give those values up.
 */
export function openEncryptor(config: AppConfig, warehouse: Warehouse): Promise<Encryptor> {
  const logger = new Logger('Encryption');
  const opening = createEncryptor({
    kmsKeyName: config.env.KMS_KEY_NAME,
    kmsApiEndpoint: config.env.KMS_API_ENDPOINT,
    localKeyFile: config.encryptionKeyFile,
    localKeyHooks: {
      beforeCreate: async (file) => {
        const stored = await storedSecretKeys(warehouse);
        if (!stored.length) return;
        const values = `${describeStoredKeys(stored)} (org API key copies, provider credentials)`;
        if (!config.env.ALLOW_NEW_ENCRYPTION_KEY)
          throw new ConfigValidationError([
            `ENCRYPTION_KEY_FILE: ${file} is missing, but the warehouse holds ${values} that only that ` +
              'key can read. Restore the file (from a backup of DATA_DIR) and start again; or, to give ' +
              'those values up, start once with ALLOW_NEW_ENCRYPTION_KEY=true, then re-issue those ' +
              'API keys and enter those credentials again',
          ]);
        logger.warn(
          `${file} is missing; starting with a new key (ALLOW_NEW_ENCRYPTION_KEY): ${values} stay ` +
            'unreadable until those API keys are re-issued and those credentials entered again',
        );
      },
      created: (file, keyId) =>
        logger.log(
          `Created the local encryption key (id ${keyId}) in ${file}: stored API keys and credentials ` +
            'are encrypted with it; back it up with the data',
        ),
    },
  });
  return opening.catch((err: unknown) => {
    // A local key file that cannot be read, created or used ("Cannot open key file … (EACCES)",
    // "is not a regular file") named no setting: ENCRYPTION_KEY_FILE (or DATA_DIR's) chose it.
    if (config.env.KMS_KEY_NAME === undefined && err instanceof CryptoError)
      throw new ConfigValidationError([`ENCRYPTION_KEY_FILE: ${err.message}`]);
    throw err;
  });
}
