import path from 'node:path';
import type { AppConfig } from '#platform';

export interface CostImportOptions {
  /** Largest upload accepted, as sent (413 beyond it, checked on Content-Length before reading). */
  maxBytes: number;
  /** Largest file once gunzipped: a small compressed upload must not expand without bound. */
  maxExpandedBytes: number;
  /** Uploads up to this size are imported before the response (200); larger ones answer 202. */
  syncMaxBytes: number;
  /** Uploads being received and expanded at once on the instance (503 beyond); see UploadAdmission. */
  maxConcurrentUploads: number;
  /** How long receiving one upload may take in all (408 beyond). */
  receiveTimeoutMs: number;
  /**
   * Where uploads wait while they are imported: the data directory rather than /tmp, which is
   * RAM-backed on many hosts. On Cloud Run every writable path is memory, counted against the
   * instance's limit (cloudbuild.yaml sizes the limits for it).
   */
  tmpDir: string;
  /**
   * A process's upload folder whose lock went unrefreshed this long is a dead process's, swept by
   * the others (ImportFolders); long enough that a live process whose event loop a large import
   * holds is never taken for dead.
   */
  folderLockStaleMs: number;
  /** SHUTDOWN_GRACE_MS: at shutdown, imports still running are waited for until near its end. */
  shutdownGraceMs: number;
}

export const COST_IMPORT_OPTIONS = Symbol('COST_IMPORT_OPTIONS');

export function costImportOptions(config: AppConfig): CostImportOptions {
  return {
    maxBytes: config.env.COST_IMPORT_MAX_BYTES,
    maxExpandedBytes: config.env.COST_IMPORT_MAX_EXPANDED_BYTES,
    syncMaxBytes: config.env.COST_IMPORT_SYNC_MAX_BYTES,
    maxConcurrentUploads: config.env.COST_IMPORT_MAX_CONCURRENT_UPLOADS,
    receiveTimeoutMs: config.env.COST_IMPORT_RECEIVE_TIMEOUT_MS,
    tmpDir: path.join(config.dataDir, 'imports'),
    folderLockStaleMs: 60_000,
    shutdownGraceMs: config.env.SHUTDOWN_GRACE_MS,
  };
}
