import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import lockfile from 'proper-lockfile';
import { COST_IMPORT_OPTIONS, type CostImportOptions } from './cost-import.options.js';

const INSTANCE_PREFIX = 'instance-';
/** Upload folders made directly in `imports/` by earlier releases: whoever made one is long gone after this. */
const LEGACY_PREFIX = 'import-';
const LEGACY_MAX_AGE_MS = 24 * 3_600_000;
/** Folders of instances that died while this one runs are removed this often. */
const SWEEP_EVERY_MS = 3_600_000;

/**
 * The folders uploads are received and expanded in (up to COST_IMPORT_MAX_EXPANDED_BYTES each):
 * under `imports/instance-<id>/`, one folder per process, locked while it lives. An import removes
 * its own folder when it ends; a process killed meanwhile (SIGKILL, out of memory, a crash) left
 * its uploads behind for ever on a persistent DATA_DIR, gigabytes each. Now every process removes,
 * at start and every hour, the folders of processes that no longer hold their lock (DATA_DIR may
 * be shared by several, so a folder whose lock is alive is never touched), and its own on shutdown.
 */
@Injectable()
export class ImportFolders implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ImportFolders.name);
  private readonly own: string;
  private release: (() => Promise<void>) | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private followUp: NodeJS.Timeout | null = null;
  /** No more sweeps are scheduled (the module is being destroyed). */
  private sweepsStopped = false;
  private closed = false;

  constructor(@Inject(COST_IMPORT_OPTIONS) private readonly options: CostImportOptions) {
    this.own = path.join(options.tmpDir, `${INSTANCE_PREFIX}${randomUUID()}`);
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.options.tmpDir, { recursive: true });
    // Locked before it exists, so that another process's sweep never sees it unlocked.
    await this.lock();
    await mkdir(this.own, { recursive: true });
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS).unref();
  }

  /**
   * A process restarted right after a kill finds its predecessor's lock still fresh (it looks
   * alive for folderLockStaleMs), and that folder holds the upload being imported when it died (up
   * to COST_IMPORT_MAX_EXPANDED_BYTES): so a sweep that spared another process's folder looks again
   * once its lock would be stale, instead of leaving the upload for an hour. A restart loop would
   * otherwise pile up one upload per crash until the hourly sweep. The look again is not followed by
   * another: a folder still alive then is a live process's (a shared DATA_DIR's other server), which
   * would otherwise be checked every few seconds for as long as both run.
   */
  private sweepAgainOnceStale(): void {
    if (this.sweepsStopped || this.followUp) return;
    this.followUp = setTimeout(() => {
      this.followUp = null;
      void this.sweep({ lookAgain: false });
    }, this.options.folderLockStaleMs + 1_000).unref();
  }

  /** A new folder for one upload, removed by its import when it ends. */
  async create(): Promise<string> {
    await mkdir(this.own, { recursive: true });
    return mkdtemp(path.join(this.own, LEGACY_PREFIX));
  }

  /**
   * Removes the folders of processes that are gone; returns how many. Never fails. With `lookAgain`,
   * a folder spared because its lock looked alive is looked at again once that lock would be stale.
   */
  async sweep({ lookAgain = true }: { lookAgain?: boolean } = {}): Promise<number> {
    let removed = 0;
    try {
      const now = Date.now();
      for (const entry of await readdir(this.options.tmpDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name.endsWith('.lock')) continue;
        const folder = path.join(this.options.tmpDir, entry.name);
        if (folder === this.own) continue;
        if (entry.name.startsWith(INSTANCE_PREFIX)) {
          if (await this.alive(folder)) {
            if (lookAgain) this.sweepAgainOnceStale();
            continue;
          }
          await rm(folder, { recursive: true, force: true });
          await rm(`${folder}.lock`, { recursive: true, force: true });
          removed++;
        } else if (entry.name.startsWith(LEGACY_PREFIX)) {
          const { mtimeMs } = await stat(folder);
          if (now - mtimeMs < LEGACY_MAX_AGE_MS) continue;
          await rm(folder, { recursive: true, force: true });
          removed++;
        }
      }
      if (removed) this.logger.log(`Removed ${removed} upload folder(s) left by processes that ended`);
    } catch (err) {
      this.logger.warn(`Upload folders not swept: ${err instanceof Error ? err.message : String(err)}`);
    }
    return removed;
  }

  private alive(folder: string): Promise<boolean> {
    return lockfile
      .check(folder, { realpath: false, stale: this.options.folderLockStaleMs })
      .catch(() => true);
  }

  /**
   * Takes the lock of this process's folder, and takes it again whenever it is lost (its refresh
   * came too late, or its lock folder was removed): proper-lockfile then stops refreshing it, and
   * once it looked stale another process's sweep would remove the uploads being received here.
   */
  private async lock(): Promise<void> {
    this.release = await lockfile.lock(this.own, {
      realpath: false,
      stale: this.options.folderLockStaleMs,
      retries: { retries: 5, minTimeout: 1_000, maxTimeout: 5_000 },
      onCompromised: (err) => {
        this.release = null;
        if (this.closed) return;
        this.logger.warn(`Upload folder lock lost (${err.message}); taking it again`);
        this.lock().catch((again: unknown) =>
          this.logger.error(
            `Upload folder lock not taken again: ${again instanceof Error ? again.message : String(again)}`,
          ),
        );
      },
    });
  }

  onModuleDestroy(): void {
    this.sweepsStopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.followUp) clearTimeout(this.followUp);
    this.sweeper = null;
    this.followUp = null;
  }

  /** After the imports ended (CostImportService waits for them before shutdown). */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await rm(this.own, { recursive: true, force: true }).catch(() => undefined);
    const release = this.release;
    this.release = null;
    await release?.().catch(() => undefined);
  }
}
