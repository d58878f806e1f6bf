import fs from 'node:fs';
import path from 'node:path';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

describe('DATA_DIR that cannot be created', () => {
  it('is named, not left to the bare error of the development root key written into it', () => {
    // A path under a file (ENOTDIR), as a folder this user may not create (EACCES, which root,
    // running these tests, is not refused): the start ended with "ENOTDIR: not a directory, mkdir …".
    const file = path.join(tmpDataDir(), 'a-file');
    fs.writeFileSync(file, '');
    const dataDir = path.join(file, 'data');
    expect(configProblems({ DATA_DIR: dataDir })).toEqual([
      `DATA_DIR: ${dataDir} cannot be created or written (ENOTDIR: not a directory, mkdir '${dataDir}'); ` +
        'point it at a folder this user may write, or set CA_ROOT_API_KEY',
    ]);
  });
});
