import 'reflect-metadata';
import { Transform } from 'class-transformer';
import {
  IsISO8601,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

import {
  AnyCase,
  ENVIRONMENTS,
  type Environment,
  environmentMessage,
  Flag,
  GCP_PROJECT_ID,
  GCP_PROJECT_ID_MESSAGE,
  HEADER_TOKEN,
  IsHost,
  IsPath,
  IsPostgresUrl,
  IsReadableRedisUrl,
  IsServiceRoleKey,
  IsServiceUrl,
  IsSupabaseProjectUrl,
  toInt,
  Trimmed,
  URL_OPTS,
} from './env-fields.js';
import { CanonicalLocation, IsDatasetLocation } from './dataset-locations.js';
import { EnvLimits, MAX_DEMO_ROWS, MAX_TIMER_MS, MIN_DEMO_ROWS } from './env-limits.js';
import { IsMemoryLimit } from './memory-limit.js';

/** Outside development: the environments whose rules are strict. An unknown value is only its own error. */
const isDeployed = (e: EnvSchema) => e.ENVIRONMENT === 'staging' || e.ENVIRONMENT === 'production';

/**
 * Every environment variable the service reads, validated at start. Defaults are the embedded
 * engines, so a fresh clone starts with nothing set. See README "Configuration" for the table.
 */
export class EnvSchema extends EnvLimits {
  /** Case and surrounding spaces do not matter (`Production` is production), as for every word setting. */
  @AnyCase()
  @IsIn(ENVIRONMENTS, { message: environmentMessage })
  ENVIRONMENT: Environment = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8000;

  /** An IPv4 or IPv6 address or a host name: what the server binds to. */
  @IsHost()
  HOST = '0.0.0.0';

  /**
   * Proxy hops in front of the service whose X-Forwarded-For is trusted for the client IP (rate
   * limits, audit). 0 trusts none (a client could otherwise pick its own IP); Cloud Run uses 1.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY_HOPS = 0;

  /** Required (≥ 32 chars) outside development; generated into DATA_DIR in development when unset. */
  @ValidateIf((e: EnvSchema) => isDeployed(e) || e.CA_ROOT_API_KEY !== undefined)
  @IsString({ message: 'CA_ROOT_API_KEY is required outside development (at least 32 characters)' })
  @MinLength(32, { message: 'CA_ROOT_API_KEY must be at least 32 characters' })
  // A key with a trailing newline (a secret written with `echo`) would match no request.
  @Matches(HEADER_TOKEN, {
    message:
      'CA_ROOT_API_KEY must be printable ASCII without spaces or line breaks (the X-CA-Root-Key header cannot carry them)',
  })
  CA_ROOT_API_KEY?: string;

  /**
   * When set, `GET /metrics` answers only a scrape sending it as `Authorization: Bearer <token>`
   * (Prometheus' `authorization` setting); unset, it is public as in the system replaced.
   */
  @IsOptional()
  @MinLength(32, { message: 'METRICS_TOKEN must be at least 32 characters' })
  @Matches(HEADER_TOKEN, {
    message: 'METRICS_TOKEN must be printable ASCII without spaces or line breaks',
  })
  METRICS_TOKEN?: string;

  @IsString()
  @IsPath()
  DATA_DIR = './data';

  @AnyCase()
  @IsIn(['duckdb', 'bigquery'])
  WAREHOUSE_DRIVER: 'duckdb' | 'bigquery' = 'duckdb';

  @IsOptional()
  @IsString()
  @IsPath()
  DUCKDB_PATH?: string;

  /**
   * The embedded DuckDB's memory (its memory_limit): DuckDB's own default, 80% of the machine, left
   * the Node heap, the Polars frames and the uploads too little. A size or a share of the memory.
   */
  @IsMemoryLimit()
  DUCKDB_MEMORY_LIMIT = '25%';

  /**
   * A project id as Google issues them (a blank or mistyped one failed only at the first query),
   * or a legacy domain-scoped one (`example.com:my-project`).
   */
  @Trimmed()
  @ValidateIf((e: EnvSchema) => e.WAREHOUSE_DRIVER === 'bigquery')
  @IsString({ message: 'GCP_PROJECT_ID is required when WAREHOUSE_DRIVER=bigquery' })
  @Matches(GCP_PROJECT_ID, { message: GCP_PROJECT_ID_MESSAGE })
  GCP_PROJECT_ID?: string;

  @CanonicalLocation()
  @IsDatasetLocation()
  BIGQUERY_LOCATION = 'US';

  /** Only for emulators and tests; production uses Google's endpoint. */
  @Trimmed()
  @IsOptional()
  @IsUrl(URL_OPTS, { message: '$property must be an http(s) URL' })
  BIGQUERY_API_ENDPOINT?: string;

  /**
   * `host:port` of a Storage Read API emulator (plain text). With BIGQUERY_API_ENDPOINT and
   * without this, frames are read from the REST pages only.
   */
  @IsOptional()
  @Matches(/^[\w.-]+:(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/, {
    message: 'BIGQUERY_STORAGE_API_ENDPOINT must be host:port (a port from 1 to 65535)',
  })
  BIGQUERY_STORAGE_API_ENDPOINT?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  // Past 2^53 a number is no longer exact and is sent as "1e+21", which BigQuery refuses on every query.
  @Max(Number.MAX_SAFE_INTEGER)
  BIGQUERY_MAX_BYTES_BILLED?: number;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  WAREHOUSE_QUERY_TIMEOUT_MS = 30_000;

  @AnyCase()
  @IsIn(['pglite', 'postgres', 'supabase'])
  TENANCY_DB_DRIVER: 'pglite' | 'postgres' | 'supabase' = 'pglite';

  @IsOptional()
  @IsString()
  @IsPath()
  PGLITE_DIR?: string;

  @Trimmed()
  @ValidateIf((e: EnvSchema) => e.TENANCY_DB_DRIVER === 'postgres' || e.DATABASE_URL !== undefined)
  @IsPostgresUrl('DATABASE_URL must be a postgres:// URL (required when TENANCY_DB_DRIVER=postgres)')
  DATABASE_URL?: string;

  /** Postgres schema of the tenancy tables (pg and supabase drivers); default the server's search_path / public. */
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'TENANCY_DB_SCHEMA must be a lowercase Postgres identifier',
  })
  TENANCY_DB_SCHEMA?: string;

  /** Connections of the pg driver's pool (TENANCY_DB_DRIVER=postgres). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  TENANCY_DB_POOL_SIZE = 10;

  /**
   * The pg driver's bound on each statement: the server cancels it past this (statement_timeout),
   * and a server still silent a second later is taken for unreachable, so a request holding a
   * connection on a network gone silent gets its 503 and the connection is destroyed. At most
   * what Node's timers take.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  TENANCY_DB_QUERY_TIMEOUT_MS = 30_000;

  /**
   * The pg driver prepares each SQL function call once per connection, which a pooler in transaction
   * mode breaks (a session's statements do not follow it). Unset: on, except for a DATABASE_URL that
   * names such a pooler (see AppConfig.tenancyDbPreparedStatements).
   */
  @IsOptional()
  @Flag()
  TENANCY_DB_PREPARED_STATEMENTS?: boolean;

  @Trimmed()
  @ValidateIf((e: EnvSchema) => e.TENANCY_DB_DRIVER === 'supabase' || e.SUPABASE_URL !== undefined)
  @IsUrl(URL_OPTS, {
    message: 'SUPABASE_URL must be an http(s) URL (required when TENANCY_DB_DRIVER=supabase)',
  })
  // The service role key, which bypasses row-level security, goes with every call.
  @IsServiceUrl()
  @IsSupabaseProjectUrl()
  SUPABASE_URL?: string;

  @ValidateIf((e: EnvSchema) => e.TENANCY_DB_DRIVER === 'supabase')
  @IsString({ message: 'SUPABASE_SERVICE_ROLE_KEY is required when TENANCY_DB_DRIVER=supabase' })
  @MinLength(20)
  @IsServiceRoleKey()
  SUPABASE_SERVICE_ROLE_KEY?: string;

  @Trimmed()
  @IsOptional()
  @IsUrl({ ...URL_OPTS, protocols: ['redis', 'rediss'] }, { message: 'REDIS_URL must be a redis:// URL' })
  @IsReadableRedisUrl()
  REDIS_URL?: string;

  /**
   * Prefix of this deployment's Redis keys and channels (rate-limit counters, cache invalidations);
   * `finops:<ENVIRONMENT>` when unset. Two deployments of one environment sharing a Redis server
   * need different ones, or each counts the other's requests and drops the other's caches.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX must be 1 to 64 letters, digits, or _ . : -',
  })
  REDIS_KEY_PREFIX?: string;

  @Trimmed()
  @IsUrl(URL_OPTS, { message: '$property must be an http(s) URL' })
  @IsServiceUrl()
  PIPELINE_SERVICE_URL = 'http://localhost:8001';

  /**
   * How long one call to the pipeline service may take in all, its retries included (3 attempts of
   * up to a minute each); shorter than CONNECTION_IDLE_TIMEOUT_MS, which closes the caller's silent
   * connection meanwhile. Unset: AppConfig.pipelineServiceDeadlineMs derives it.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  PIPELINE_SERVICE_DEADLINE_MS?: number;

  /** Comma-separated origins; `*` alone is refused because credentials are allowed. */
  @IsString()
  CORS_ORIGINS = 'http://localhost:3000';

  @AnyCase()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** The configs/ folder (schemas, migrations, seeds, catalogs); the installation's own when unset. */
  @IsOptional()
  @IsString()
  @IsPath()
  CONFIGS_DIR?: string;

  /** A production start refuses the embedded engines unless this is set. */
  @Flag()
  ALLOW_EMBEDDED_ENGINES = false;

  /**
   * Production with one instance only (e.g. Cloud Run max-instances=1): rate limits and cache
   * invalidations may stay in-process, without REDIS_URL.
   */
  @Flag()
  SINGLE_INSTANCE = false;

  @Flag()
  BOOTSTRAP_ON_START = true;

  /**
   * Cloud KMS key wrapping the data keys of stored API keys and credentials, required in staging as
   * in production: without it each instance (and each new revision, its file system being new)
   * created a local key of its own, and what one encrypted the others could not read.
   */
  // Read without surrounding whitespace, and none inside: KMS names the key's versions without it,
  // so a name ending in a line break matched none of them and every encrypt call was refused.
  @Trimmed()
  @ValidateIf((e: EnvSchema) => isDeployed(e) || e.KMS_KEY_NAME !== undefined)
  @Matches(/^projects\/[^/\s]+\/locations\/[^/\s]+\/keyRings\/[^/\s]+\/cryptoKeys\/[^/\s]+$/, {
    message:
      'KMS_KEY_NAME must be projects/P/locations/L/keyRings/R/cryptoKeys/K (required in staging and production)',
  })
  KMS_KEY_NAME?: string;

  /** Only for emulators and tests. */
  @Trimmed()
  @IsOptional()
  @IsUrl(URL_OPTS, { message: '$property must be an http(s) URL' })
  KMS_API_ENDPOINT?: string;

  /** The local key-encryption key used when KMS_KEY_NAME is unset (created 0600 on first use). */
  @IsOptional()
  @IsString()
  @IsPath()
  ENCRYPTION_KEY_FILE?: string;

  /**
   * A start whose local key file is missing while the warehouse holds values encrypted with it
   * refuses, unless this is set: it then starts with a new key and gives those values up.
   */
  @Flag()
  ALLOW_NEW_ENCRYPTION_KEY = false;

  /** Seed the demo organization `demo_org` at start (kept when already there). */
  @Flag()
  DEMO_DATA = false;

  @Transform(toInt)
  @IsInt()
  @Min(MIN_DEMO_ROWS)
  @Max(MAX_DEMO_ROWS)
  DEMO_ROWS = 100_000;

  /** Also sent as the X-API-Version header of every response: printable ASCII, no spaces. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,64}$/, {
    message: 'APP_VERSION must be 1-64 printable ASCII characters without spaces',
  })
  APP_VERSION?: string;

  /** The release shown by `/` and `/health` (default: the version). */
  @IsOptional()
  @IsString()
  RELEASE_VERSION?: string;

  /** When the release was made (default: the process start time). */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'RELEASE_TIMESTAMP must be an ISO 8601 date-time' })
  RELEASE_TIMESTAMP?: string;
}
