import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrationChecksum, readMigrations } from './migrations.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

describe('reading migration files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-read-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists only .sql files, in name order', async () => {
    await writeFile(path.join(dir, '0002_b.sql'), 'SELECT 2;');
    await writeFile(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    await writeFile(path.join(dir, 'README.md'), '#');
    expect((await readMigrations(dir)).map((f) => f.name)).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  it('gives a CRLF checkout the same checksum as LF, and any edit a different one', () => {
    expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(migrationChecksum('SELECT 1;\nSELECT 2;\n'));
    expect(migrationChecksum('SELECT 1; ')).not.toBe(migrationChecksum('SELECT 1;'));
  });

  it('fails with MigrationFailed when the folder is missing', async () => {
    await expect(readMigrations(path.join(dir, 'absent'))).rejects.toMatchObject({
      code: TenancyDbErrorCode.MigrationFailed,
    });
  });
});
