import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CONFIGS_MARKER, useConfigsDir } from './configs-dir.js';
import { HEADER_TOKEN, inexactNumberProblems } from './env-fields.js';
import { EnvSchema } from './env.schema.js';
import { duckDbMemoryLimit, memoryLimitBytes } from './memory-limit.js';
import { QUERY_PASSWORD, URL_PASSWORD } from '../logging/logger.js';
import { publishPrivateFile } from '../util/private-file.js';

export type Environment = EnvSchema['ENVIRONMENT'];

const DATASET_SUFFIX: Record<Environment, string> = {
  development: 'local',
  staging: 'stage',
  production: 'prod',
};

/** The default of one pipeline service call's deadline, retries included: 5/6 of the idle timeout's 120 s. */
const PIPELINE_DEADLINE_MS = 100_000;

/** The validated, typed configuration. Built once at start; injected as `AppConfig`. */
export class AppConfig {
  readonly env: Readonly<EnvSchema>;
  readonly environment: Environment;
  readonly datasetSuffix: string;
  readonly isProduction: boolean;
  readonly dataDir: string;
  readonly duckdbPath: string;
  /** DUCKDB_MEMORY_LIMIT as DuckDB's memory_limit takes it (a share of the memory resolved to MiB). */
  readonly duckdbMemoryLimit: string;
  readonly pgliteDir: string;
  readonly encryptionKeyFile: string;
  readonly corsOrigins: string[];
  /** Where a generated development root key was written (null when configured explicitly). */
  readonly rootKeyFile: string | null;
  /** Prefix of this deployment's Redis keys and channels: REDIS_KEY_PREFIX or `finops:<environment>`. */
  readonly redisPrefix: string;
  /** Whether the pg driver prepares its statements: as configured, else not behind a transaction pooler. */
  readonly tenancyDbPreparedStatements: boolean;
  /** PIPELINE_SERVICE_DEADLINE_MS, else 100 s or 5/6 of a shorter CONNECTION_IDLE_TIMEOUT_MS. */
  readonly pipelineServiceDeadlineMs: number;

  constructor(
    env: EnvSchema,
    readonly rootApiKey: string | undefined,
    rootKeyFile: string | null,
  ) {
    this.env = Object.freeze(env);
    this.environment = env.ENVIRONMENT;
    this.datasetSuffix = DATASET_SUFFIX[env.ENVIRONMENT];
    this.isProduction = env.ENVIRONMENT === 'production';
    this.dataDir = path.resolve(env.DATA_DIR);
    this.duckdbPath = env.DUCKDB_PATH ?? path.join(this.dataDir, 'warehouse.duckdb');
    this.duckdbMemoryLimit = duckDbMemoryLimit(memoryLimitBytes(env.DUCKDB_MEMORY_LIMIT) as number);
    this.pgliteDir = env.PGLITE_DIR ?? path.join(this.dataDir, 'pglite');
    this.encryptionKeyFile = env.ENCRYPTION_KEY_FILE ?? path.join(this.dataDir, 'encryption.key');
    this.corsOrigins = env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean)
      .map((o) => originOf(o) ?? o);
    this.rootKeyFile = rootKeyFile;
    this.redisPrefix = env.REDIS_KEY_PREFIX ?? `finops:${env.ENVIRONMENT}`;
    this.tenancyDbPreparedStatements =
      env.TENANCY_DB_PREPARED_STATEMENTS ?? !namesTransactionPooler(env.DATABASE_URL);
    const idle = env.CONNECTION_IDLE_TIMEOUT_MS;
    this.pipelineServiceDeadlineMs =
      env.PIPELINE_SERVICE_DEADLINE_MS ??
      (idle === 0 ? PIPELINE_DEADLINE_MS : Math.min(PIPELINE_DEADLINE_MS, Math.floor((idle * 5) / 6)));
  }

  /** `{org}_{local|stage|prod}` */
  orgDataset(orgSlug: string): string {
    return `${orgSlug}_${this.datasetSuffix}`;
  }
}

/**
 * A Postgres URL of a pooler in transaction mode: Supabase's pooler serves that mode on port 6543
 * (session mode on 5432), and `pgbouncer=true` is the usual marker of a PgBouncer URL.
 */
export function namesTransactionPooler(databaseUrl: string | undefined): boolean {
  if (!databaseUrl) return false;
  try {
    const url = new URL(databaseUrl);
    return url.port === '6543' || url.searchParams.get('pgbouncer') === 'true';
  } catch {
    return false;
  }
}

/**
 * A DATA_DIR this user may not create or write (EACCES, a path under a file), named as every bad
 * setting is: the start ended with Node's bare "EACCES: permission denied, mkdir …", naming none.
 */
export function dataDirRefused(
  dir: string,
  what: string,
  err: unknown,
  alternative = '',
): ConfigValidationError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigValidationError([
    `DATA_DIR: ${dir} cannot be ${what} (${reason}); point it at a folder this user may write${alternative}`,
  ]);
}

/** A problem as printed: the password of a URL it quotes (a value, a driver's reason) masked. */
const masked = (problem: string): string =>
  problem.replace(URL_PASSWORD, '$1***@').replace(QUERY_PASSWORD, '$1***');

/**
 * Every bad variable, each named. Its message is printed as it is at start (main.ts), outside the
 * logger's masking, so a problem that quotes a value (CORS_ORIGINS' entries) shows no URL password.
 */
export class ConfigValidationError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const shown = problems.map(masked);
    super(`Invalid configuration:\n${shown.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
    this.problems = shown;
  }
}

/**
 * The rules that say what a value is: when one of them fails, its message alone is shown for the
 * variable (`PORT=abc` is "must be an integer", not also out of range both ways).
 */
const KIND_RULES = ['isString', 'isInt', 'isBoolean', 'isIn', 'isUrl'];

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const constraints = e.constraints ?? {};
    const kind = KIND_RULES.find((rule) => rule in constraints);
    const messages = kind ? [constraints[kind]] : Object.values(constraints);
    return messages.map((m) => (m.startsWith(e.property) ? m : `${e.property}: ${m}`));
  });
}

/** Reads `.env.local` when present (never `.env`); the process environment wins over the file. */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env.local');
  if (!fs.existsSync(file)) return { ...process.env };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // A folder or a file this user cannot read: say which, rather than Node's bare EISDIR.
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigValidationError([`.env.local: ${file} cannot be read as a settings file (${reason})`]);
  }
  return { ...parseEnv(text), ...process.env };
}

/**
 * The origin a browser's Origin header carries for `value` (`https://app.example.com:8443`), or
 * undefined when `value` is no origin (a path, a trailing slash, a query, credentials, no http(s)
 * scheme). A host in capitals or a scheme's own port (`https://App.example.com:443`) names the same
 * origin, which browsers send in lower case and without that port: it is taken in that form.
 */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    const bare = !/[/?#]/.test(value.replace(/^https?:\/\//i, '')) && !url.username && !url.password;
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The endpoint settings that point a Google client at an emulator, read by the service itself. */
const EMULATOR_ENDPOINTS = ['BIGQUERY_API_ENDPOINT', 'BIGQUERY_STORAGE_API_ENDPOINT', 'KMS_API_ENDPOINT'];

/**
 * Production refuses emulator endpoints: its own (EMULATOR_ENDPOINTS) and any `*_EMULATOR_HOST`,
 * which a Google client library reads from the environment by itself (BIGQUERY_EMULATOR_HOST sends
 * every query there). One left over from a test setup sent the costs, or the data keys of the
 * stored credentials, to whatever answered there, the start none the wiser.
 */
function emulatorProblems(picked: Record<string, string>, raw: Record<string, string | undefined>): string[] {
  const hosts = Object.keys(raw).filter((name) => name.endsWith('_EMULATOR_HOST') && raw[name]?.trim());
  return [...EMULATOR_ENDPOINTS.filter((name) => picked[name]?.trim()), ...hosts.sort()].map(
    (name) =>
      `${name}: production refuses an emulator endpoint (only for emulators and tests); unset it to use Google's`,
  );
}

/** Validates the raw environment; throws ConfigValidationError naming every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvSchema {
  const known = new Set(Object.keys(new EnvSchema()));
  const picked: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (known.has(k) && v !== undefined && v !== '') picked[k] = v;
  const env = plainToInstance(EnvSchema, picked, { exposeDefaultValues: true });
  const problems = flatten(validateSync(env, { skipMissingProperties: false }));
  problems.push(...inexactNumberProblems(env, problems));
  // Node's convention for "this is a deployment": without ENVIRONMENT the service would run as
  // development (a generated root key, embedded engines, no HSTS) where production was meant.
  if (picked.ENVIRONMENT === undefined && raw.NODE_ENV?.trim().toLowerCase() === 'production')
    problems.push(
      'ENVIRONMENT: NODE_ENV is production but ENVIRONMENT is not set, which would run the development setup; set ENVIRONMENT=production (or staging, or development to run that setup on purpose)',
    );
  const dataDir = path.resolve(env.DATA_DIR);
  if (fs.existsSync(dataDir) && !fs.statSync(dataDir).isDirectory())
    problems.push(`DATA_DIR: ${dataDir} is a file; point it at a folder (created when missing)`);
  const origins = env.CORS_ORIGINS.split(',').map((o) => o.trim());
  if (origins.includes('*')) {
    problems.push('CORS_ORIGINS: "*" is not allowed (credentials are sent); list the dashboard origins');
  }
  // Staging and production are deployed, each with a dashboard of its own and logs someone reads.
  const deployed = env.ENVIRONMENT === 'staging' || env.ENVIRONMENT === 'production';
  // The default is the development dashboard's: a deployment left without the setting allowed
  // http://localhost:3000 and no dashboard of its own, which only its browsers' refusals told.
  if (deployed && picked.CORS_ORIGINS === undefined)
    problems.push(
      "CORS_ORIGINS: staging and production need the dashboard's origins set (the default, http://localhost:3000, is development's)",
    );
  else if (origins.every((o) => o === ''))
    problems.push(
      'CORS_ORIGINS lists no origin (spaces or commas only): list the dashboard origins, or leave it unset for the default',
    );
  // The default is the development pipeline service's: a deployment left without the setting
  // started fine and failed every proxied call and run-all batch (connection refused) later.
  if (deployed && picked.PIPELINE_SERVICE_URL === undefined)
    problems.push(
      "PIPELINE_SERVICE_URL: staging and production need the pipeline service's URL set (the default, http://localhost:8001, is development's)",
    );
  // Every failure past the start (a request's 500, an engine lost) would go unseen.
  if (deployed && env.LOG_LEVEL === 'silent')
    problems.push(
      'LOG_LEVEL: staging and production refuse silent (an instance writing no logs at all, its failures unseen); use fatal, error or warn for the fewest lines',
    );
  // A blank one is refused by name already (IsPath).
  if (env.CONFIGS_DIR?.trim() && !fs.existsSync(path.join(env.CONFIGS_DIR, CONFIGS_MARKER)))
    problems.push(
      `CONFIGS_DIR: ${path.resolve(env.CONFIGS_DIR)} holds no ${CONFIGS_MARKER}; point it at the repository's configs/ folder`,
    );
  const badOrigins = origins.filter((o) => o !== '*' && o !== '' && originOf(o) === undefined);
  if (badOrigins.length)
    problems.push(
      `CORS_ORIGINS: ${badOrigins.map((o) => JSON.stringify(o)).join(', ')} ${badOrigins.length === 1 ? 'is not an origin' : 'are not origins'}: ` +
        'scheme://host[:port], without a path or a trailing slash (what a browser sends in Origin)',
    );
  const deadline = env.PIPELINE_SERVICE_DEADLINE_MS;
  if (
    deadline !== undefined &&
    env.CONNECTION_IDLE_TIMEOUT_MS > 0 &&
    deadline >= env.CONNECTION_IDLE_TIMEOUT_MS
  )
    problems.push(
      `PIPELINE_SERVICE_DEADLINE_MS: must be shorter than CONNECTION_IDLE_TIMEOUT_MS (${env.CONNECTION_IDLE_TIMEOUT_MS}), which closes the caller's connection while the pipeline service is waited for`,
    );
  if (env.ENVIRONMENT === 'production' && !env.ALLOW_EMBEDDED_ENGINES) {
    if (env.WAREHOUSE_DRIVER === 'duckdb')
      problems.push(
        'WAREHOUSE_DRIVER: production refuses the embedded DuckDB warehouse (set bigquery, or ALLOW_EMBEDDED_ENGINES=true)',
      );
    if (env.TENANCY_DB_DRIVER === 'pglite')
      problems.push(
        'TENANCY_DB_DRIVER: production refuses the embedded PGlite database (set postgres or supabase, or ALLOW_EMBEDDED_ENGINES=true)',
      );
  }
  if (env.ENVIRONMENT === 'production') problems.push(...emulatorProblems(picked, raw));
  // A demo org of synthetic costs among the customers' (its key in the data folder) is never meant.
  if (
    env.ENVIRONMENT === 'production' &&
    env.DEMO_DATA &&
    (env.WAREHOUSE_DRIVER !== 'duckdb' || env.TENANCY_DB_DRIVER !== 'pglite')
  )
    problems.push(
      'DEMO_DATA: production refuses to seed the demo organization into a real warehouse or tenancy database (use it in development or staging, or on the embedded engines)',
    );
  // Without Redis every instance keeps its own rate-limit counters and learns of no key revocation
  // or cost invalidation made on another; embedded engines are one instance by nature.
  if (
    env.ENVIRONMENT === 'production' &&
    !env.REDIS_URL &&
    !env.SINGLE_INSTANCE &&
    env.WAREHOUSE_DRIVER !== 'duckdb' &&
    env.TENANCY_DB_DRIVER !== 'pglite'
  )
    problems.push(
      'REDIS_URL: production needs Redis to share rate limits, key revocations and cache invalidations across instances (or SINGLE_INSTANCE=true when only one runs)',
    );
  if (problems.length) throw new ConfigValidationError(problems);
  return env;
}

/**
 * In development a missing root key is generated once and kept in DATA_DIR (mode 0600), so a
 * fresh clone has an admin key without any setup and restarts keep the same one.
 */
const MIN_ROOT_KEY_LENGTH = 32;

function resolveRootKey(env: EnvSchema): { key: string | undefined; file: string | null } {
  if (env.CA_ROOT_API_KEY || env.ENVIRONMENT !== 'development')
    return { key: env.CA_ROOT_API_KEY, file: null };
  const file = path.resolve(env.DATA_DIR, 'root-api-key');
  // Whether this process or one starting beside it published the file, everyone uses what is on disk.
  try {
    if (!fs.existsSync(file)) publishPrivateFile(file, `ca_root_${randomBytes(32).toString('base64url')}\n`);
  } catch (err) {
    throw dataDirRefused(path.dirname(file), 'created or written', err, ', or set CA_ROOT_API_KEY');
  }
  if (!fs.statSync(file).isFile())
    throw new ConfigValidationError([
      `CA_ROOT_API_KEY: ${file}, where the development root key is kept, is not a file; remove it to have a key generated, or set CA_ROOT_API_KEY`,
    ]);
  const key = fs.readFileSync(file, 'utf8').trim();
  // The same rule as for CA_ROOT_API_KEY: a short or empty file is not a root key.
  if (key.length < MIN_ROOT_KEY_LENGTH)
    throw new ConfigValidationError([
      `CA_ROOT_API_KEY: the development root key in ${file} is shorter than ${MIN_ROOT_KEY_LENGTH} characters; delete the file to have a new key generated, or set CA_ROOT_API_KEY`,
    ]);
  // A second line or a non-ASCII character (a key edited by hand) matched no request: every root call 401.
  if (!HEADER_TOKEN.test(key))
    throw new ConfigValidationError([
      `CA_ROOT_API_KEY: the development root key in ${file} must be printable ASCII without spaces or line breaks (the X-CA-Root-Key header cannot carry them); delete the file to have a new key generated, or set CA_ROOT_API_KEY`,
    ]);
  // Readable by its owner only, as it was written (a copy or an editor may have widened it).
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    try {
      fs.chmodSync(file, 0o600);
    } catch (err) {
      // A file of another owner (a mounted volume): the root key stays open to other users.
      throw new ConfigValidationError([
        `CA_ROOT_API_KEY: the development root key in ${file} is open to other users (mode ${mode.toString(8)}) and cannot be made readable by its owner only (${(err as Error).message}); chmod it to 600 as its owner, or set CA_ROOT_API_KEY`,
      ]);
    }
  }
  return { key, file };
}

export function loadAppConfig(raw: Record<string, string | undefined> = readEnvironment()): AppConfig {
  const env = validateEnvironment(raw);
  useConfigsDir(env.CONFIGS_DIR);
  const root = resolveRootKey(env);
  return new AppConfig(env, root.key, root.file);
}
