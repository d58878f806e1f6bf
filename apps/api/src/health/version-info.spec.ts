import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { versionInfo } from './version-info.js';

describe('versionInfo', () => {
  const ownVersion = (
    JSON.parse(fs.readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

  it("names this installation's package version whatever the working directory", () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'cwd-'));
    fs.writeFileSync(
      path.join(elsewhere, 'package.json'),
      JSON.stringify({ name: 'other', version: '9.9.9' }),
    );
    const cwd = process.cwd();
    try {
      process.chdir(elsewhere);
      expect(versionInfo({}).version).toBe(`v${ownVersion}`);
    } finally {
      process.chdir(cwd);
    }
  });

  it('takes the release settings over the package', () => {
    expect(versionInfo({ APP_VERSION: 'v2.0.0', RELEASE_VERSION: 'r7' })).toMatchObject({
      service: 'finops-api',
      version: 'v2.0.0',
      release: 'r7',
    });
  });
});
