import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { firstLine, spawnWithSources } from '#test/source-child';
import { PgliteTenancyDb } from './pglite-tenancy-db.js';

// Opening PGlite on disk takes seconds, and each child first loads the sources through Vite.
const TIMEOUT_MS = 180_000;
// Every opener of a folder must judge staleness alike (the holder refreshes at half of it).
const STALE_MS = 2_000;

/** Opens the driver in another process, reads the organizations there, closes and reports. */
function openInAnotherProcess(dataDir: string): Promise<string> {
  return firstLine(
    spawnWithSources(`
      const { PgliteTenancyDb } = await load('libs/tenancy-db/src/pglite-tenancy-db.ts');
      try {
        const db = await PgliteTenancyDb.open({
          dataDir: ${JSON.stringify(dataDir)}, lock: { setting: 'PGLITE_DIR', staleMs: ${STALE_MS} },
        });
        const rows = await db.select('organizations', {}, { columns: ['org_slug'] });
        await db.close();
        process.stdout.write(JSON.stringify({ rows }) + '\\n');
      } catch (error) {
        process.stdout.write(JSON.stringify({ error: error.message }) + '\\n');
      }
      process.exit(0);`),
  );
}

describe('PgliteTenancyDb locks its data folder against a second process', () => {
  let dir: string;
  let dataDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-lock-'));
    dataDir = path.join(dir, 'pglite');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'refuses a second process naming the folder and its setting, and lets it in once the first closes',
    async () => {
      const first = await PgliteTenancyDb.open({ dataDir, lock: { staleMs: STALE_MS } });
      try {
        // The owner's alone: PGlite writes its files world-writable (0666).
        expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
        await first.migrate();
        await first.insert('organizations', [{ org_slug: 'lock_first', company_name: 'First' }]);
        expect(JSON.parse(await openInAnotherProcess(dataDir))).toEqual({
          error:
            `The embedded tenancy database ${dataDir} (PGLITE_DIR) is in use by another process ` +
            '(a running server?): only one process at a time can open it; stop the other process, ' +
            'or give this one its own PGLITE_DIR',
        });
      } finally {
        await first.close();
      }
      expect(existsSync(`${dataDir}.lock`)).toBe(false);
      expect(JSON.parse(await openInAnotherProcess(dataDir))).toEqual({ rows: [{ org_slug: 'lock_first' }] });
    },
    TIMEOUT_MS,
  );

  it(
    'takes over the lock a killed process left once it is stale',
    async () => {
      const holder = spawnWithSources(`
        const { PgliteTenancyDb } = await load('libs/tenancy-db/src/pglite-tenancy-db.ts');
        await PgliteTenancyDb.open({ dataDir: ${JSON.stringify(dataDir)}, lock: { staleMs: ${STALE_MS} } });
        process.stdout.write('open\\n');
        setInterval(() => {}, 1000);`);
      try {
        expect(await firstLine(holder)).toBe('open');
      } finally {
        holder.kill('SIGKILL');
      }
      await once(holder, 'exit');
      // A killed process removes nothing: its lock stays until it is older than the stale period.
      expect(existsSync(`${dataDir}.lock`)).toBe(true);

      const started = Date.now();
      const db = await PgliteTenancyDb.open({ dataDir, lock: { staleMs: STALE_MS } });
      try {
        await expect(db.ping()).resolves.toBeUndefined();
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        await db.close();
      }
      expect(existsSync(`${dataDir}.lock`)).toBe(false);
    },
    TIMEOUT_MS,
  );
});
