import fs from 'node:fs';
import path from 'node:path';
import { ConfigValidationError, loadAppConfig, readEnvironment } from './app-config.js';
import { configsDir } from './configs-dir.js';
import { configProblems, tmpDataDir, DEPLOYED_URLS } from './testing/config-problems.js';
import { EnvSchema } from './env.schema.js';

const tmp = tmpDataDir;
const problemsOf = configProblems;

describe('configuration', () => {
  it('defaults to the embedded engines in development with a dataset suffix of local', () => {
    const c = loadAppConfig({ DATA_DIR: tmp(), CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(c.env.WAREHOUSE_DRIVER).toBe('duckdb');
    expect(c.env.TENANCY_DB_DRIVER).toBe('pglite');
    expect(c.env.PORT).toBe(8000);
    expect(c.orgDataset('acme')).toBe('acme_local');
  });

  it('prepares pg statements unless the URL names a transaction pooler or the setting says otherwise', () => {
    const prepared = (env: Record<string, string>) =>
      loadAppConfig({
        DATA_DIR: tmp(),
        CA_ROOT_API_KEY: 'k'.repeat(32),
        TENANCY_DB_DRIVER: 'postgres',
        ...env,
      }).tenancyDbPreparedStatements;
    const direct = 'postgres://postgres@db.example.supabase.co:5432/postgres';
    const pooler = 'postgres://postgres.ref@aws-0-eu-west-1.pooler.supabase.com:6543/postgres';
    expect(prepared({ DATABASE_URL: direct })).toBe(true);
    expect(prepared({ DATABASE_URL: pooler })).toBe(false);
    expect(prepared({ DATABASE_URL: `${direct}?pgbouncer=true` })).toBe(false);
    expect(prepared({ DATABASE_URL: pooler, TENANCY_DB_PREPARED_STATEMENTS: 'true' })).toBe(true);
    expect(prepared({ DATABASE_URL: direct, TENANCY_DB_PREPARED_STATEMENTS: 'false' })).toBe(false);
  });

  it('prefixes Redis keys by environment unless REDIS_KEY_PREFIX says otherwise', () => {
    const prefix = (env: Record<string, string>) =>
      loadAppConfig({ DATA_DIR: tmp(), CA_ROOT_API_KEY: 'k'.repeat(32), ...env }).redisPrefix;
    expect(prefix({})).toBe('finops:development');
    expect(prefix({ REDIS_KEY_PREFIX: 'finops:eu-1' })).toBe('finops:eu-1');
    expect(problemsOf({ REDIS_KEY_PREFIX: 'has space' })).toEqual([
      'REDIS_KEY_PREFIX must be 1 to 64 letters, digits, or _ . : -',
    ]);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'abc',
      WAREHOUSE_DRIVER: 'mysql',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://x',
      RELEASE_TIMESTAMP: 'yesterday',
    });
    for (const v of ['PORT', 'WAREHOUSE_DRIVER', 'LOG_LEVEL', 'REDIS_URL', 'RELEASE_TIMESTAMP'])
      expect(problems.join('\n')).toContain(v);
  });

  it('gives each bad variable one message, the one that says what its value must be', () => {
    const problems = problemsOf({ PORT: 'abc', ENVIRONMENT: 'production', ALLOW_EMBEDDED_ENGINES: 'true' });
    expect(problems.filter((p) => p.startsWith('PORT'))).toEqual(['PORT must be an integer number']);
    expect(problems.filter((p) => p.startsWith('CA_ROOT_API_KEY'))).toEqual([
      'CA_ROOT_API_KEY is required outside development (at least 32 characters)',
    ]);
  });

  it('reads whole numbers in decimal only: no hex, exponent or blank value taken as 0', () => {
    for (const value of ['0x1F90', '1e3', ' ', '80.5', '8000abc'])
      expect(problemsOf({ PORT: value })).toEqual(['PORT must be an integer number']);
    expect(problemsOf({ AUTH_CACHE_TTL_MS: ' ' })).toEqual([expect.stringMatching(/^AUTH_CACHE_TTL_MS/)]);
    const c = loadAppConfig({ DATA_DIR: tmp(), PORT: ' 8080 ', CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(c.env.PORT).toBe(8080);
  });

  it('refuses a byte budget past what a number holds exactly, which BigQuery would refuse on every query', () => {
    expect(problemsOf({ BIGQUERY_MAX_BYTES_BILLED: '100000000000000000000' })).toEqual([
      expect.stringMatching(/^BIGQUERY_MAX_BYTES_BILLED must not be greater than 9007199254740991/),
    ]);
    expect(problemsOf({ BIGQUERY_MAX_BYTES_BILLED: '1099511627776' })).toEqual([]);
  });

  it("refuses a millisecond setting past Node's longest timer, which would fire after 1 ms", () => {
    const timers = Object.keys(new EnvSchema()).filter((name) => name.endsWith('_MS'));
    expect(timers.length).toBeGreaterThanOrEqual(6);
    for (const name of timers) {
      // The pipeline service's deadline must also be under the idle timeout: none (0) here.
      const idle: Record<string, string> =
        name === 'PIPELINE_SERVICE_DEADLINE_MS' ? { CONNECTION_IDLE_TIMEOUT_MS: '0' } : {};
      expect(problemsOf({ ...idle, [name]: '2147483648' })).toEqual([
        `${name} must not be greater than 2147483647`,
      ]);
      expect(problemsOf({ ...idle, [name]: '2147483647' })).toEqual([]);
    }
  });

  it('takes two cost files at once per instance unless COST_IMPORT_MAX_CONCURRENT_UPLOADS says otherwise, at least one', () => {
    expect(problemsOf({ COST_IMPORT_MAX_CONCURRENT_UPLOADS: '0' })).toEqual([
      'COST_IMPORT_MAX_CONCURRENT_UPLOADS must not be less than 1',
    ]);
    const uploads = (env: Record<string, string>) =>
      loadAppConfig({ DATA_DIR: tmp(), CA_ROOT_API_KEY: 'k'.repeat(32), ...env }).env
        .COST_IMPORT_MAX_CONCURRENT_UPLOADS;
    expect(uploads({})).toBe(2);
    expect(uploads({ COST_IMPORT_MAX_CONCURRENT_UPLOADS: '6' })).toBe(6);
  });

  it('bounds the tenancy query timeout below too, 30 s when unset', () => {
    expect(problemsOf({ TENANCY_DB_QUERY_TIMEOUT_MS: '0' })).toEqual([
      'TENANCY_DB_QUERY_TIMEOUT_MS must not be less than 100',
    ]);
    const c = loadAppConfig({ DATA_DIR: tmp(), CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(c.env.TENANCY_DB_QUERY_TIMEOUT_MS).toBe(30_000);
  });

  it('gives a stopping instance at least a second to drain, 10 s when unset', () => {
    expect(problemsOf({ SHUTDOWN_GRACE_MS: '0' })).toEqual(['SHUTDOWN_GRACE_MS must not be less than 1000']);
    expect(problemsOf({ SHUTDOWN_GRACE_MS: '1000' })).toEqual([]);
    const c = loadAppConfig({ DATA_DIR: tmp(), CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(c.env.SHUTDOWN_GRACE_MS).toBe(10_000);
  });

  it('takes http(s) URLs only for the services it calls over HTTP', () => {
    expect(problemsOf({ PIPELINE_SERVICE_URL: 'ftp://pipelines.internal' })).toEqual([
      'PIPELINE_SERVICE_URL must be an http(s) URL',
    ]);
    expect(problemsOf({ PIPELINE_SERVICE_URL: 'https://pipelines.internal:8001' })).toEqual([]);
  });

  it('takes service names with underscores and a Postgres reached through a Unix socket', () => {
    expect(
      problemsOf({
        PIPELINE_SERVICE_URL: 'http://pipeline_service:8001',
        REDIS_URL: 'redis://redis_host:6379',
        DATABASE_URL: 'postgres://u:p@my_db_host:5432/app',
      }),
    ).toEqual([]);
    for (const url of [
      'postgres:///test?host=/var/run/postgresql',
      'postgres://u:p@/db?host=/cloudsql/p:r:i',
    ])
      expect(problemsOf({ DATABASE_URL: url })).toEqual([]);
    for (const url of ['postgres:///test', 'mysql://h/db', 'postgres://', 'not a url'])
      expect(problemsOf({ DATABASE_URL: url })).toEqual([
        'DATABASE_URL must be a postgres:// URL (required when TENANCY_DB_DRIVER=postgres)',
      ]);
  });

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
          ...DEPLOYED_URLS,
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

  it('reads every word setting whatever its case and surrounding spaces', () => {
    const env = loadAppConfig({
      DATA_DIR: tmp(),
      WAREHOUSE_DRIVER: 'DuckDB',
      TENANCY_DB_DRIVER: ' PGlite',
      LOG_LEVEL: 'INFO ',
    }).env;
    expect([env.WAREHOUSE_DRIVER, env.TENANCY_DB_DRIVER, env.LOG_LEVEL]).toEqual([
      'duckdb',
      'pglite',
      'info',
    ]);
    expect(problemsOf({ LOG_LEVEL: 'Verbose' })).toEqual([
      'LOG_LEVEL must be one of the following values: fatal, error, warn, info, debug, trace, silent',
    ]);
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

  it('refuses a HOST that is neither an address nor a host name, by name', () => {
    for (const host of ['not a host', '999.999.999.999', 'bad_host'])
      expect(problemsOf({ HOST: host }), host).toEqual([
        'HOST must be an IP address or a host name (0.0.0.0, ::, 127.0.0.1, localhost)',
      ]);
    expect(problemsOf({ HOST: 'not a host' })).toEqual([
      'HOST must be an IP address or a host name (0.0.0.0, ::, 127.0.0.1, localhost)',
    ]);
    for (const host of ['0.0.0.0', '::', '127.0.0.1', 'localhost', 'api.internal', '::1'])
      expect(problemsOf({ HOST: host })).toEqual([]);
  });

  it('reads boolean settings in their usual spellings and refuses any other value by name', () => {
    const dir = tmp();
    for (const [value, expected] of [
      ['true', true],
      ['YES', true],
      ['1', true],
      ['off', false],
      ['0', false],
    ] as const)
      expect(loadAppConfig({ DATA_DIR: dir, BOOTSTRAP_ON_START: value }).env.BOOTSTRAP_ON_START).toBe(
        expected,
      );
    const problems = problemsOf({
      BOOTSTRAP_ON_START: 'ture',
      SINGLE_INSTANCE: 'maybe',
      DEMO_DATA: 'perhaps',
    });
    expect(problems.sort()).toEqual(
      ['BOOTSTRAP_ON_START', 'DEMO_DATA', 'SINGLE_INSTANCE'].map(
        (name) => `${name} must be true or false (or 1/0, yes/no, on/off)`,
      ),
    );
  });

  it('refuses a DEMO_ROWS past what a seeding can build, by name', () => {
    expect(problemsOf({ DEMO_ROWS: '100000000000' })).toEqual([
      'DEMO_ROWS must not be greater than 10000000',
    ]);
    expect(problemsOf({ DEMO_ROWS: '10000000' })).toEqual([]);
  });

  it('refuses a DEMO_ROWS too small to give every provider a row, by name', () => {
    expect(problemsOf({ DEMO_ROWS: '19' })).toEqual(['DEMO_ROWS must not be less than 20']);
    expect(problemsOf({ DEMO_ROWS: '20' })).toEqual([]);
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
