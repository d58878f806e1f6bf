import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import lockfile from 'proper-lockfile';

const RUN_PREFIX = 'run-';
/**
 * A seeding's lock looks stale (its process gone) this long after its last refresh. Long, as a
 * Parquet write of a large demo year holds the event loop for seconds, and a lock not refreshed in
 * time would let another process remove the folder under its files; a folder a killed seeding left
 * is removed by a seeding started later.
 */
const LOCK_STALE_MS = 60_000;

/** One seeding's folder: `remove` deletes it and releases its lock once the seeding ended. */
export interface DemoRunFolder {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * A folder of its own for one seeding's files, under `$DATA_DIR/demo`: two seedings at once (an
 * app start with DEMO_DATA and `npm run demo` on other engines, or a second call while the first
 * still runs) each removed the one shared folder under the other's files. Each folder is locked
 * (`<folder>.lock`, refreshed) while its seeding runs, and the folders whose lock is gone or stale
 * (a killed seeding's) are removed first. Not by pid: on a DATA_DIR shared between containers a pid
 * names another process in each (every container's first process is pid 1), so a live seeding's
 * folder looked dead to another container, and a dead one's alive to a process given its pid again.
 */
export async function demoRunFolder(dataDir: string): Promise<DemoRunFolder> {
  const parent = path.join(dataDir, 'demo');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = path.join(parent, `${RUN_PREFIX}${randomUUID()}`);
  // Locked before it exists, so that another seeding's sweep never sees it unlocked.
  let closed = false;
  const release = await lockfile.lock(dir, {
    realpath: false,
    stale: LOCK_STALE_MS,
    onCompromised: (err) => {
      if (!closed) new Logger('DemoService').warn(`Demo folder lock lost: ${err.message}`);
    },
  });
  await mkdir(dir, { mode: 0o700 });
  await sweep(parent, dir);
  return {
    dir,
    remove: async () => {
      closed = true;
      await rm(dir, { recursive: true, force: true });
      await release().catch(() => undefined);
    },
  };
}

/** Removes the run folders (and their locks) of seedings that no longer hold their lock. */
async function sweep(parent: string, own: string): Promise<void> {
  for (const name of await readdir(parent)) {
    if (!name.startsWith(RUN_PREFIX) || name.endsWith('.lock')) continue;
    const folder = path.join(parent, name);
    if (folder === own || (await alive(folder))) continue;
    await rm(folder, { recursive: true, force: true });
    await rm(`${folder}.lock`, { recursive: true, force: true });
  }
}

function alive(folder: string): Promise<boolean> {
  return lockfile.check(folder, { realpath: false, stale: LOCK_STALE_MS }).catch(() => true);
}
