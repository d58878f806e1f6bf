import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anAllTypesRow, ALL_TYPES } from '../contract/contract-context.js';
import { describeWarehouseContract } from '../contract/warehouse-contract.js';
import { tableRef } from '../sql.js';
import { DuckDbWarehouse } from './duckdb-warehouse.js';

describeWarehouseContract('duckdb in memory', () => DuckDbWarehouse.open({ path: ':memory:', threads: 2 }), {
  rejectsUnsupportedSql: true,
});

describe('DuckDbWarehouse on a file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duckdb-warehouse-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps datasets, tables and rows after closing and reopening', async () => {
    const path = join(dir, 'nested', 'warehouse.duckdb');
    const first = await DuckDbWarehouse.open({ path });
    await first.ensureDataset('acme_prod');
    await first.ensureTable('acme_prod', ALL_TYPES);
    await first.insertRows({ dataset: 'acme_prod', table: 'all_types' }, [anAllTypesRow()]);
    await first.close();

    const reopened = await DuckDbWarehouse.open({ path });
    try {
      expect(await reopened.datasetExists('acme_prod')).toBe(true);
      expect(await reopened.listTables('acme_prod')).toEqual(['all_types']);
      expect(await reopened.query(`SELECT * FROM ${tableRef('acme_prod', 'all_types')}`)).toEqual([
        anAllTypesRow(),
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('says so when another process holds the file, as a server does while the demo runs', async () => {
    const path = join(dir, 'held.duckdb');
    // Another process opens the file (DuckDB locks it per process) and keeps it until killed.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         await DuckDBInstance.create(${JSON.stringify(path)});
         console.log('open');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      await expect(DuckDbWarehouse.open({ path })).rejects.toThrow(
        `The embedded warehouse ${path} is in use by another process`,
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
