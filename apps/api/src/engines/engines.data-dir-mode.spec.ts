import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { loadAppConfig } from '#platform';
import { openTenancyDb, openWarehouse } from './engines.js';

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

describe('the embedded engines keep their files to the owner', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-modes-'));
    umask = process.umask(0o022); // the usual one, whatever an earlier file's app start left
  });
  afterEach(() => {
    process.umask(umask);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes DATA_DIR and the DuckDB file readable by their owner only', async () => {
    // PGlite wrote its files 0666 and DuckDB its file 0644 in a 0755 folder: every org's costs, key
    // hashes and the tenancy DB were open to any local user, and the tenancy DB writable. (The PGlite
    // folder's own mode: pglite-tenancy-db.folder-lock.spec.ts, which opens one anyway.)
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const config = loadAppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    const warehouse = await openWarehouse(config);
    try {
      expect(modeOf(dataDir).toString(8)).toBe('700');
      expect(modeOf(config.duckdbPath).toString(8)).toBe('600');
    } finally {
      await warehouse.close();
    }
  });

  it("keeps DuckDB's write-ahead log to the owner too, DUCKDB_PATH outside DATA_DIR", async () => {
    // DuckDB creates <file>.wal with the process umask (0644 under 022) and again after every
    // checkpoint: in a 0755 folder of the operator's choosing, any local user read every write.
    const folder = path.join(dir, 'warehouse');
    fs.mkdirSync(folder, { mode: 0o755 });
    fs.chmodSync(folder, 0o755);
    const duckdbPath = path.join(folder, 'w.duckdb');
    const config = loadAppConfig({
      DATA_DIR: path.join(dir, 'data'),
      DUCKDB_PATH: duckdbPath,
      LOG_LEVEL: 'warn',
    });
    const warehouse = await openWarehouse(config);
    try {
      await warehouse.ensureDataset('organizations');
      await warehouse.ensureTable('organizations', {
        name: 't',
        fields: [{ name: 'secret', type: 'STRING' }],
      });
      await warehouse.insertRows({ dataset: 'organizations', table: 't' }, [{ secret: 'key hash' }]);
      expect(fs.existsSync(`${duckdbPath}.wal`)).toBe(true);
      expect(modeOf(`${duckdbPath}.wal`).toString(8)).toBe('600');
      expect(modeOf(duckdbPath).toString(8)).toBe('600');
    } finally {
      await warehouse.close();
    }
  });

  it('leaves a shared folder (sticky bit, like /tmp) as it is', async () => {
    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const config = loadAppConfig({ DATA_DIR: shared, LOG_LEVEL: 'warn' });
    const warehouse = await openWarehouse(config);
    try {
      expect((fs.statSync(shared).mode & 0o7777).toString(8)).toBe('1777');
      expect(modeOf(config.duckdbPath).toString(8)).toBe('600');
    } finally {
      await warehouse.close();
    }
  });

  it('says once, not once per engine, that a shared DATA_DIR stays as it is', async () => {
    // The app opens the warehouse and the tenancy DB side by side: each warned of the same folder.
    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const config = loadAppConfig({
      DATA_DIR: shared,
      DUCKDB_PATH: ':memory:',
      PGLITE_DIR: ':memory:',
      LOG_LEVEL: 'warn',
    });
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const [warehouse, db] = await Promise.all([openWarehouse(config), openTenancyDb(config)]);
    try {
      const said = warn.mock.calls.filter(([m]) => String(m).startsWith(`DATA_DIR ${shared}`));
      expect(said).toHaveLength(1);
    } finally {
      warn.mockRestore();
      await Promise.all([warehouse.close(), db.close()]);
    }
  });

  it('creates a missing DATA_DIR for its owner only', async () => {
    const dataDir = path.join(dir, 'fresh', 'data');
    const config = loadAppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    const warehouse = await openWarehouse(config);
    try {
      expect(modeOf(dataDir).toString(8)).toBe('700');
    } finally {
      await warehouse.close();
    }
  });

  it('names DATA_DIR when it cannot be created (a start with a root key set, so none is written there)', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const dataDir = path.join(file, 'data');
    const config = loadAppConfig({ DATA_DIR: dataDir, CA_ROOT_API_KEY: 'k'.repeat(32), LOG_LEVEL: 'warn' });
    await expect(openWarehouse(config)).rejects.toThrow(
      `DATA_DIR: ${dataDir} cannot be created (ENOTDIR: not a directory, mkdir '${dataDir}'); point it at a folder this user may write`,
    );
  });
});
