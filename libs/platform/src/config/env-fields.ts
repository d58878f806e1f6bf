import { isIP } from 'node:net';
import { Transform } from 'class-transformer';
import { IsBoolean, ValidateBy } from 'class-validator';
import { parse as parsePgUrl } from 'pg-connection-string';

// Field rules of the environment schema (env.schema.ts).

/** The spellings of a boolean setting; any other value is left as it is, for @IsBoolean to refuse. */
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
};
/** A host name (letters, digits, hyphens; dot-separated labels, not all digits) or an IP address. */
const HOST_NAME =
  /^(?=.*[A-Za-z-])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const IsHost = () =>
  ValidateBy({
    name: 'isHost',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && (isIP(value) !== 0 || HOST_NAME.test(value)),
      defaultMessage: () => 'HOST must be an IP address or a host name (0.0.0.0, ::, 127.0.0.1, localhost)',
    },
  });

/** A setting that is one word of a list, read whatever its case and surrounding spaces (`BigQuery`, `INFO `). */
export const AnyCase = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  );

/**
 * A URL setting read without surrounding whitespace: a secret written with `echo` (Secret Manager,
 * `--set-secrets` in cloudbuild.yaml) ends in a line break, which no URL holds and which made a
 * deploy refuse a correct URL as "must be an http(s) URL".
 */
export const Trimmed = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * A file or folder path that names something: a value of spaces only resolved to a folder named
 * with spaces under the working directory, the data (or the key) kept where nobody would look.
 * An empty value is the same as unset (the default).
 */
export const IsPath = () =>
  ValidateBy({
    name: 'isPath',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.trim() !== '',
      defaultMessage: (args) =>
        `${args?.property ?? 'The path'} is blank (spaces only): set a path, or leave it unset for the default`,
    },
  });

export const Flag = (): PropertyDecorator => (target, key) => {
  Transform(toBool)(target, key);
  IsBoolean({ message: '$property must be true or false (or 1/0, yes/no, on/off)' })(target, key);
};

/**
 * An http(s) URL; a field of another scheme names its own protocols. Host names may hold
 * underscores (Docker Compose and Kubernetes service names: `pipeline_service`).
 */
export const URL_OPTS = {
  require_tld: false,
  require_protocol: true,
  allow_underscores: true,
  protocols: ['http', 'https'],
};

/** A loopback host as a URL spells it: `localhost` (or a name under it), 127.0.0.0/8, `[::1]`. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    (isIP(host) === 4 && host.startsWith('127.'))
  );
}

/** What is wrong with an http(s) URL of a service the API calls, by `env`'s rules; undefined when nothing. */
function serviceUrlProblem(name: string, value: unknown, env: { ENVIRONMENT?: unknown }): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined; // the URL rule's to say
  const url = new URL(value);
  // Node sends them as Basic authentication on every call, and they travel wherever the URL is
  // printed; the services are called with API keys instead.
  if (url.username || url.password)
    return `${name} must not hold a user name or password (user:password@): the service is called with API keys`;
  if (env.ENVIRONMENT === 'production' && url.protocol === 'http:' && !isLoopback(url.hostname))
    return `${name} must be https in production (plain http only to a loopback address: localhost, 127.0.0.1, [::1])`;
  return undefined;
}

/**
 * The http(s) URL of a service the API calls with its keys (the root key, the callers' API keys):
 * without credentials in it, and over TLS in production unless the service is on the same
 * machine, or those keys would cross the network in clear. The URL itself is not printed.
 */
export const IsServiceUrl = () =>
  ValidateBy({
    name: 'isServiceUrl',
    validator: {
      validate: (value: unknown, args) =>
        serviceUrlProblem(args?.property ?? '', value, (args?.object ?? {}) as { ENVIRONMENT?: unknown }) ===
        undefined,
      defaultMessage: (args) =>
        serviceUrlProblem(
          args?.property ?? '',
          args?.value,
          (args?.object ?? {}) as { ENVIRONMENT?: unknown },
        ) ?? `${args?.property ?? 'The URL'} must be an http(s) URL`,
    },
  });

/**
 * SUPABASE_URL names the project, not its REST endpoint (`…/rest/v1`, shown beside it in the
 * dashboard): supabase-js appends /rest/v1 itself, so every call went to /rest/v1/rest/v1 and was
 * answered 404. A path of a proxy in front of a self-hosted Supabase is taken.
 */
export const IsSupabaseProjectUrl = () =>
  ValidateBy({
    name: 'isSupabaseProjectUrl',
    validator: {
      validate: (value: unknown) =>
        typeof value !== 'string' || !URL.canParse(value) || !/\/rest\/v1\/?$/i.test(new URL(value).pathname),
      defaultMessage: () =>
        "SUPABASE_URL must be the project's URL (https://<ref>.supabase.co), not its REST URL ending in /rest/v1: supabase-js adds that path itself",
    },
  });

/**
 * A postgres:// URL as node-postgres reads it: a host, or a Unix socket folder in `?host=`
 * (`postgres:///db?host=/var/run/postgresql`, Cloud SQL's `postgres://u:p@/db?host=/cloudsql/…`).
 */
export const IsPostgresUrl = (message: string) => {
  // Why the parser refused a value (it throws on a bad port, or an ssl file it cannot read), for the message.
  const reasons = new WeakMap<object, string>();
  return ValidateBy({
    name: 'isPostgresUrl',
    validator: {
      // Read by node-postgres' own parser: `u:p@/db` is no WHATWG URL, yet what pg connects with.
      // It throws rather than answer for some values; thrown out of validation, that was a start
      // failing with "Invalid URL" or an ENOENT naming no variable.
      validate: (value: unknown, args) => {
        if (typeof value !== 'string' || !/^postgres(ql)?:\/\/\S*$/.test(value)) return false;
        try {
          return !!parsePgUrl(value).host;
        } catch (err) {
          if (args) reasons.set(args.object, err instanceof Error ? err.message : String(err));
          return false;
        }
      },
      defaultMessage: (args) => {
        const reason = args && reasons.get(args.object);
        return reason ? `${message}: ${reason}` : message;
      },
    },
  });
};

/**
 * A whole number written in decimal (surrounding spaces aside). Anything else is left as the text
 * it was, for @IsInt to refuse: Number() would read `0x1F90`, `1e3` and a blank value (as 0).
 */
export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;

/**
 * The number settings past 2^53 − 1, which a number no longer holds exactly (99999999999999999999
 * is read as 1e20): COST_FRAME_MAX_ROWS so written into the frame loads' SQL failed every cost
 * read. A setting `problems` names already (by a smaller bound of its own) is not named again.
 */
export function inexactNumberProblems(env: object, problems: readonly string[]): string[] {
  const named = (name: string) => problems.some((p) => p.startsWith(`${name} `) || p.startsWith(`${name}:`));
  return Object.entries(env)
    .filter(([name, value]) => Number.isInteger(value) && !Number.isSafeInteger(value) && !named(name))
    .map(([name]) => `${name} must not be greater than ${Number.MAX_SAFE_INTEGER}`);
}

/**
 * A Google Cloud project id: 6 to 30 lowercase letters, digits and hyphens, starting with a letter
 * and not ending with a hyphen; a legacy domain-scoped one has its domain before a colon.
 */
export const GCP_PROJECT_ID =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const GCP_PROJECT_ID_MESSAGE =
  'GCP_PROJECT_ID must be a project id: 6 to 30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (or domain:project for a domain-scoped one)';

/** The spaceless printable ASCII a header value carries intact (HTTP strips surrounding whitespace). */
export const HEADER_TOKEN = /^[\x21-\x7e]+$/;

export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
/** The dataset suffixes and the usual short names, read as a slip for the environment they name. */
const ENVIRONMENT_ALIASES: Readonly<Record<string, Environment>> = {
  dev: 'development',
  local: 'development',
  stage: 'staging',
  stg: 'staging',
  prod: 'production',
  prd: 'production',
};
export function environmentMessage({ value }: { value: unknown }): string {
  const meant = typeof value === 'string' ? ENVIRONMENT_ALIASES[value] : undefined;
  return `ENVIRONMENT must be one of ${ENVIRONMENTS.join(', ')}${meant ? ` (did you mean ${meant}?)` : ''}`;
}

/**
 * The role a Supabase API key acts as, when the key says: a legacy key is a JWT with a `role`
 * claim (`anon`, `service_role`); a new one is `sb_publishable_…` (the browser's) or `sb_secret_…`.
 */
function supabaseKeyRole(key: string): string | undefined {
  if (key.startsWith('sb_publishable_')) return 'publishable';
  const parts = key.trim().split('.');
  if (parts.length !== 3 || !parts[0].startsWith('eyJ')) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const role = (claims as { role?: unknown } | null)?.role;
    return typeof role === 'string' ? role : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The service role's key, not the project's anon or publishable key beside it on the same settings
 * page: with one of those the start succeeded (nothing reaches Supabase at start), and quota
 * reservations, onboardings and limit reads then failed in production on the functions and tables
 * kept from the browser's roles (migration 0009). The key is not printed.
 */
export const IsServiceRoleKey = () =>
  ValidateBy({
    name: 'isServiceRoleKey',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        const role = supabaseKeyRole(value);
        return role === undefined || role === 'service_role';
      },
      defaultMessage: (args) => {
        const role = typeof args?.value === 'string' ? supabaseKeyRole(args.value) : undefined;
        const shown = role && /^[a-z_]{1,32}$/.test(role) ? role : 'not service_role';
        return `SUPABASE_SERVICE_ROLE_KEY is a key of the ${shown} role, which the tenancy tables and functions refuse: set the project's service_role (or sb_secret_) key`;
      },
    },
  });

/**
 * What ioredis reads of a redis:// URL the URL rule lets through, and stopped the start on naming
 * no variable: a `%` without two hex digits in the user name or password ("Fatal error at start:
 * URI malformed") and a path that is not a database number (`/cache`: SELECT NaN, an uncaught
 * reply error with its stack). Neither part is printed; the password may be in either.
 */
function redisUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined; // the URL rule's to say
  const url = new URL(value);
  for (const [part, text] of [
    ['user name', url.username],
    ['password', url.password],
  ]) {
    try {
      decodeURIComponent(text);
    } catch {
      return `REDIS_URL: its ${part} holds a % not followed by two hex digits (write a % as %25)`;
    }
  }
  if (!/^(\/\d*)?$/.test(url.pathname))
    return 'REDIS_URL: its path is the database number, digits only (redis://host:6379/0), or nothing';
  return undefined;
}

export const IsReadableRedisUrl = () =>
  ValidateBy({
    name: 'isReadableRedisUrl',
    validator: {
      validate: (value: unknown) => redisUrlProblem(value) === undefined,
      defaultMessage: (args) => redisUrlProblem(args?.value) ?? 'REDIS_URL must be a redis:// URL',
    },
  });
