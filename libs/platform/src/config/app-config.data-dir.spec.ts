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

describe('a development root key file this user cannot make owner-only', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is refused by name, not with the bare error of its chmod (a volume of another owner)', () => {
    // Root, running these tests, may chmod any file: the refusal a mounted volume gives is injected.
    const dir = tmpDataDir();
    const file = path.join(dir, 'root-api-key');
    fs.writeFileSync(file, `${'k'.repeat(40)}\n`);
    fs.chmodSync(file, 0o644);
    vi.spyOn(fs, 'chmodSync').mockImplementation(() => {
      throw Object.assign(new Error(`EPERM: operation not permitted, chmod '${file}'`), { code: 'EPERM' });
    });
    expect(configProblems({ DATA_DIR: dir })).toEqual([
      `CA_ROOT_API_KEY: the development root key in ${file} is open to other users (mode 644) and cannot ` +
        `be made readable by its owner only (EPERM: operation not permitted, chmod '${file}'); ` +
        'chmod it to 600 as its owner, or set CA_ROOT_API_KEY',
    ]);
  });
});
