import fs from 'node:fs';
import path from 'node:path';
import { ConfigValidationError, loadAppConfig, readEnvironment } from './app-config.js';
import { configsDir } from './configs-dir.js';
import { configProblems as problemsOf, tmpDataDir as tmp } from './testing/config-problems.js';

describe('configuration', () => {
  it('refuses a root key no header can carry (surrounding whitespace, a line break, spaces only)', () => {
    for (const key of [
      `${'k'.repeat(36)}\n`,
      ` ${'k'.repeat(36)}`,
      ' '.repeat(34),
      `${'k'.repeat(18)} ${'k'.repeat(18)}`,
    ])
      expect(
        problemsOf({
          ENVIRONMENT: 'staging',
          ALLOW_EMBEDDED_ENGINES: 'true',
          KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
          CA_ROOT_API_KEY: key,
        }),
      ).toEqual([expect.stringMatching(/^CA_ROOT_API_KEY must be printable ASCII without spaces/)]);
  });

  it('names DATA_DIR when it is a file, and a root key path that is not a file', () => {
    const file = path.join(tmp(), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    expect(problemsOf({ DATA_DIR: file })).toEqual([expect.stringMatching(/^DATA_DIR: .* is a file/)]);
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'root-api-key'));
    expect(problemsOf({ DATA_DIR: dir })).toEqual([
      expect.stringMatching(
        /^CA_ROOT_API_KEY: .*root-api-key, where the development root key is kept, is not a file/,
      ),
    ]);
  });

  it('requires a root key of at least 32 characters outside development', () => {
    expect(problemsOf({ ENVIRONMENT: 'staging', ALLOW_EMBEDDED_ENGINES: 'true' }).join()).toContain(
      'CA_ROOT_API_KEY',
    );
    expect(
      problemsOf({
        ENVIRONMENT: 'production',
        ALLOW_EMBEDDED_ENGINES: 'true',
        CA_ROOT_API_KEY: 'short',
      }).join(),
    ).toContain('at least 32');
  });

  it('refuses NODE_ENV=production without ENVIRONMENT (it would run the development setup)', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ENVIRONMENT: NODE_ENV is production but ENVIRONMENT is not set/);
    expect(problemsOf({ NODE_ENV: 'production', ENVIRONMENT: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
  });

  it('refuses embedded engines in production unless told explicitly', () => {
    const problems = problemsOf({ ENVIRONMENT: 'production', CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(problems.some((p) => p.startsWith('WAREHOUSE_DRIVER'))).toBe(true);
    expect(problems.some((p) => p.startsWith('TENANCY_DB_DRIVER'))).toBe(true);
  });

  it('requires the settings of the chosen production engines', () => {
    const problems = problemsOf({
      WAREHOUSE_DRIVER: 'bigquery',
      TENANCY_DB_DRIVER: 'supabase',
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    const text = problems.join('\n');
    for (const v of ['GCP_PROJECT_ID', 'SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY'])
      expect(text).toContain(v);
    expect(problemsOf({ TENANCY_DB_DRIVER: 'postgres', CA_ROOT_API_KEY: 'k'.repeat(32) }).join()).toContain(
      'DATABASE_URL',
    );
  });

  it('requires a Cloud KMS key name in production', () => {
    const problems = problemsOf({
      ENVIRONMENT: 'production',
      ALLOW_EMBEDDED_ENGINES: 'true',
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    expect(problems.join()).toContain('KMS_KEY_NAME');
    expect(problemsOf({ KMS_KEY_NAME: 'my-key' }).join()).toContain('KMS_KEY_NAME');
  });

  it('requires Redis in production unless one instance runs', () => {
    const production = {
      ENVIRONMENT: 'production',
      WAREHOUSE_DRIVER: 'bigquery',
      GCP_PROJECT_ID: 'finops-prod',
      TENANCY_DB_DRIVER: 'postgres',
      DATABASE_URL: 'postgres://db.example/app',
      CA_ROOT_API_KEY: 'k'.repeat(32),
      KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
    };
    expect(problemsOf(production)).toEqual([expect.stringMatching(/^REDIS_URL: production needs Redis/)]);
    expect(problemsOf({ ...production, REDIS_URL: 'redis://cache.example:6379' })).toEqual([]);
    expect(problemsOf({ ...production, SINGLE_INSTANCE: 'true' })).toEqual([]);
    // Allowing embedded engines while running the shared ones is still several instances.
    expect(problemsOf({ ...production, ALLOW_EMBEDDED_ENGINES: 'true' }).join()).toContain('REDIS_URL');
  });

  it('reads CONFIGS_DIR like any setting (.env.local too) and refuses a folder that is not a configs/ one', () => {
    expect(problemsOf({ CONFIGS_DIR: '/nonexistent' })).toEqual([
      "CONFIGS_DIR: /nonexistent holds no pipelines.yml; point it at the repository's configs/ folder",
    ]);
    const copy = tmp();
    fs.cpSync(configsDir(), copy, { recursive: true });
    try {
      loadAppConfig({ DATA_DIR: tmp(), CONFIGS_DIR: copy });
      expect(configsDir()).toBe(copy);
    } finally {
      loadAppConfig({ DATA_DIR: tmp() });
    }
    expect(configsDir()).not.toBe(copy);
  });

  it('refuses a development root key file that is too short, and narrows a widened mode to 0600', () => {
    const dir = tmp();
    const file = path.join(dir, 'root-api-key');
    for (const content of ['abc\n', '']) {
      fs.writeFileSync(file, content, { mode: 0o644 });
      expect(problemsOf({ DATA_DIR: dir })).toEqual([
        expect.stringMatching(
          /^CA_ROOT_API_KEY: the development root key in .* is shorter than 32 characters/,
        ),
      ]);
    }
    fs.writeFileSync(file, `${'k'.repeat(40)}\n`);
    fs.chmodSync(file, 0o644);
    expect(loadAppConfig({ DATA_DIR: dir }).rootApiKey).toBe('k'.repeat(40));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('generates a development root key once, mode 0600, and reuses it', () => {
    const dir = tmp();
    const first = loadAppConfig({ DATA_DIR: dir });
    const second = loadAppConfig({ DATA_DIR: dir });
    expect(first.rootApiKey).toMatch(/^ca_root_[A-Za-z0-9_-]{40,}$/);
    expect(second.rootApiKey).toBe(first.rootApiKey);
    expect(fs.statSync(first.rootKeyFile as string).mode & 0o777).toBe(0o600);
  });

  it('never leaves a half-written development root key behind (a kill or a full disk while writing)', () => {
    const dir = tmp();
    // The write fails after its file was created (ENOSPC, or the process killed at that moment).
    const write = vi.spyOn(fs, 'writeFileSync').mockImplementationOnce((target) => {
      if (typeof target !== 'number') fs.closeSync(fs.openSync(target, 'wx', 0o600));
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    });
    try {
      expect(() => loadAppConfig({ DATA_DIR: dir })).toThrow(/no space left/);
    } finally {
      write.mockRestore();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    // The next start generates the key as if nothing had happened.
    expect(loadAppConfig({ DATA_DIR: dir }).rootApiKey).toMatch(/^ca_root_/);
  });

  it('names .env.local when it cannot be read (a folder of that name)', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, '.env.local'));
    expect(() => readEnvironment(dir)).toThrow(
      new ConfigValidationError([
        `.env.local: ${path.join(dir, '.env.local')} cannot be read as a settings file (EISDIR)`,
      ]),
    );
  });

  it('reads .env.local but never .env, and the process environment wins', async () => {
    const { readEnvironment } = await import('./app-config.js');
    const dir = tmp();
    fs.writeFileSync(path.join(dir, '.env.local'), 'LOG_LEVEL=debug\nPORT=9001\n');
    fs.writeFileSync(path.join(dir, '.env'), 'HOST=10.9.9.9\n');
    const saved = process.env.PORT;
    process.env.PORT = '9002';
    try {
      const raw = readEnvironment(dir);
      expect(raw.LOG_LEVEL).toBe('debug');
      expect(raw.PORT).toBe('9002');
      expect(raw.HOST).not.toBe('10.9.9.9');
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});
