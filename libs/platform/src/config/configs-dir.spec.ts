import fs from 'node:fs';
import path from 'node:path';
import { loadAppConfig } from './app-config.js';
import { CONFIGS_MARKER, configsDir } from './configs-dir.js';
import { tmpDataDir } from './testing/config-problems.js';

describe('configsDir', () => {
  afterEach(() => vi.unstubAllEnvs());

  it("takes an empty CONFIGS_DIR in the process's environment as unset: the installation's configs/", () => {
    // `CONFIGS_DIR=` (a compose file's `CONFIGS_DIR: ""`, `docker run -e CONFIGS_DIR=`) is unset
    // by the README's rule and passes validation so; it named the working directory instead.
    vi.stubEnv('CONFIGS_DIR', '');
    loadAppConfig({ DATA_DIR: tmpDataDir(), CONFIGS_DIR: '' });
    expect(fs.existsSync(path.join(configsDir(), CONFIGS_MARKER))).toBe(true);
    expect(path.isAbsolute(configsDir())).toBe(true);
  });
});
