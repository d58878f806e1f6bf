import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations } from './migrations.js';
import { PgliteTenancyDb } from './pglite-tenancy-db.js';
import { describeTenancyDbContract } from './tenancy-db-contract.js';

describeTenancyDbContract('PGlite in memory', async () => {
  const db = await PgliteTenancyDb.open({ schema: 'contract' });
  return {
    db,
    exec: (script) => db.transaction((s) => s.exec(script)),
    migrateFrom: (dir, rewritten) => applyMigrations(db, dir, rewritten),
    close: () => db.close(),
  };
});

// Opening PGlite on disk takes seconds, more on a loaded machine; two opens need more than the default.
const DISK_TIMEOUT_MS = 120_000;

describe('PgliteTenancyDb with a data folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-pglite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'creates the folder and keeps rows and applied migrations across reopening',
    async () => {
      const dataDir = path.join(dir, 'nested', 'pgdata');
      const first = await PgliteTenancyDb.open({ dataDir });
      expect(await first.migrate()).toContain('0001_organizations.sql');
      await first.insert('organizations', [{ org_slug: 'persisted_org', company_name: 'Persisted' }]);
      await first.close();

      const second = await PgliteTenancyDb.open({ dataDir });
      try {
        expect(await second.migrate()).toEqual([]);
        const rows = await second.select(
          'organizations',
          { org_slug: 'persisted_org' },
          { columns: ['company_name'] },
        );
        expect(rows).toEqual([{ company_name: 'Persisted' }]);
      } finally {
        await second.close();
      }
    },
    DISK_TIMEOUT_MS,
  );

  it('reports Unavailable for queries after close', async () => {
    const db = await PgliteTenancyDb.open();
    await db.close();
    await expect(db.ping()).rejects.toMatchObject({ code: 'TENANCY_DB_UNAVAILABLE' });
  });
});
