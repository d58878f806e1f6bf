import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAppConfig } from '#platform';
import { openEncryptor, openWarehouse } from './engines.js';

describe('a local encryption key file that cannot be used', () => {
  it('is named by its setting, not only by its path', async () => {
    // A start whose key file sat under a file (or in a folder this user may not read) ended with
    // "Cannot open key file … (ENOTDIR)", naming no setting as every other bad value does.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-keyfile-'));
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const keyFile = path.join(file, 'encryption.key');
    const config = loadAppConfig({
      DATA_DIR: dir,
      DUCKDB_PATH: ':memory:',
      ENCRYPTION_KEY_FILE: keyFile,
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    const warehouse = await openWarehouse(config);
    try {
      await expect(openEncryptor(config, warehouse)).rejects.toThrow(
        `ENCRYPTION_KEY_FILE: Cannot open key file ${keyFile} (ENOTDIR)`,
      );
    } finally {
      await warehouse.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
