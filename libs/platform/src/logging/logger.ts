import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Header and field names whose values never reach a log line. Header names are redacted under
 * `req.headers` and `headers`; field names at the top level of the line (`{ token }`) and one level
 * below any field (`{ body: { password } }`), which is what pino's `token` and `*.token` redact paths mean.
 */
export const REQ_HEADERS = ['x-api-key', 'x-ca-root-key', 'authorization', 'cookie'];
export const HEADERS = ['x-api-key', 'x-ca-root-key', 'authorization'];
export const SECRET_FIELDS = [
  'api_key',
  'apiKey',
  'password',
  'secret',
  'token',
  'access_token',
  'credential',
  'credentials',
  'encrypted_credential',
  'private_key',
  'service_role_key',
  'connectionString',
];
const SECRET_FIELD_SET = new Set(SECRET_FIELDS);
const CENSOR = '[REDACTED]';
/** Fields with a serializer: they are redacted after it runs (see the `err` serializer). */
const SERIALIZED = new Set(['err', 'error']);

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A shallow copy that keeps the prototype (so a class's toJSON still applies). */
const copyOf = (value: Fields): Fields =>
  Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as Fields, value);

/** `value` with `names` censored where present (in a copy), or `value` itself. */
function censored(value: Fields, names: readonly string[]): Fields {
  let copy: Fields | undefined;
  for (const name of names) {
    if (!Object.hasOwn(value, name)) continue;
    copy ??= copyOf(value);
    copy[name] = CENSOR;
  }
  return copy ?? value;
}

/**
 * What pino's `redact` did with our paths, without its cost: pino's wildcard paths ran a redactor
 * over every field of every line and every child binding (a request id included), more than
 * doubling the price of a log line and of Fastify's per-request child logger. This censors secret
 * fields at the top level and looks only one level down into object fields, and copies only what
 * it censors; the caller's objects are never changed. logger.redaction.spec.ts checks the output
 * against pino's redact with the equivalent paths.
 */
export function redactFields(fields: Fields): Fields {
  let out = fields;
  for (const key in fields) {
    if (SECRET_FIELD_SET.has(key)) {
      if (!Object.hasOwn(fields, key)) continue;
      if (out === fields) out = { ...fields };
      out[key] = CENSOR;
      continue;
    }
    const value = fields[key];
    if (!isObject(value) || SERIALIZED.has(key) || !Object.hasOwn(fields, key)) continue;
    let redacted = censored(value, SECRET_FIELDS);
    if (key === 'headers') redacted = censored(redacted, HEADERS);
    else if (key === 'req' && isObject(redacted.headers)) {
      const headers = censored(redacted.headers, REQ_HEADERS);
      if (headers !== redacted.headers) {
        if (redacted === value) redacted = copyOf(value);
        redacted.headers = headers;
      }
    }
    if (redacted === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = redacted;
  }
  return out;
}

/**
 * A URL's password (`//user:password@`), the user kept in `$1`. A password may hold a '/' but not
 * '//': each attempt then stops at the next '//', so text of many '//a:' is scanned once, not once
 * per attempt (quadratic: 0.5 s for 40 KB). It may hold an unencoded '@' too (URL parsers such as
 * node-postgres and ioredis end it at the authority's last '@'): masked up to that one.
 */
export const URL_PASSWORD = /(\/\/[^:/\s@]*:)(?:[^\s/]|\/(?!\/))+@/g;
/** A URL's query password (`?password=`, `&sentinelPassword=`: ioredis reads both), the name in `$1`. */
// The lookahead finds the name's `=` first: `/&passpass…` (no `=`) was tried from each `pass`, quadratic.
export const QUERY_PASSWORD = /([?&](?=[A-Za-z_]*=)[A-Za-z_]*pass[A-Za-z_]*=)[^&\s#]*/gi;

/**
 * Values that look like keys or credentials are masked inside error messages, stacks and any text
 * from outside (an upstream's error detail): org keys, the platform's root keys, provider keys
 * (OpenAI `sk-proj-`, Anthropic `sk-ant-`, Stripe-style `sk_`), JWTs (Supabase keys), Google API
 * keys, GitHub and Slack tokens, AWS access key ids and secrets, PEM private keys, URL passwords and
 * bearer tokens.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[REDACTED]'],
  [/\b[a-z0-9_]{3,50}_api_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bsk[_-][A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bca_root_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[REDACTED]'],
  [/\bAIza[A-Za-z0-9_-]{30,}/g, '[REDACTED]'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, '[REDACTED]'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, '[REDACTED]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[REDACTED]'],
  [/(aws_secret_access_key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{20,}/gi, '$1[REDACTED]'],
  [URL_PASSWORD, '$1[REDACTED]@'],
  [QUERY_PASSWORD, '$1[REDACTED]'],
  [/(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, '$1[REDACTED]'],
];

/**
 * The process's own secrets (the root key, the Supabase service key), masked wherever scrubSecrets
 * runs: whatever shape they have, an upstream that echoes one must not hand it to a tenant.
 */
const processSecrets = new Set<string>();

/** Adds literal secrets that scrubSecrets masks from now on (values under 8 characters are not). */
export function registerSecrets(values: readonly (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= 8) processSecrets.add(value);
}

/**
 * Text any of SECRET_PATTERNS could match (and more: case-insensitive throughout), tested once
 * before the patterns run one by one: most texts (a request's path in every access line) hold no
 * secret, and one test costs a tenth of the twelve replacements.
 */
const MAYBE_SECRET = new RegExp(SECRET_PATTERNS.map(([re]) => `(?:${re.source})`).join('|'), 'i');

export function scrubSecrets(text: string, extra: string[] = []): string {
  let out = text;
  for (const secrets of [processSecrets, extra])
    for (const s of secrets) if (s && s.length >= 8 && out.includes(s)) out = out.split(s).join('[REDACTED]');
  if (!MAYBE_SECRET.test(out)) return out;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Lines are written once this many bytes are buffered (about ten access lines)... */
export const LOG_BUFFER_BYTES = 4096;
/** ...or at the latest this long after they were logged. */
export const LOG_FLUSH_MS = 250;
/**
 * Lines waiting for stdout past this many bytes are dropped: while stdout is not read (a log
 * collector that stalls or falls behind), every request's line stayed in memory, ~420 bytes a
 * request without bound (50,000 requests to made-up paths: +20 MB, growing with each flood).
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/** A destination made by bufferedDestination: buffered until its owner says the lines must be out. */
export interface BufferedDestination extends ReturnType<typeof pino.destination> {
  /**
   * Writes what is buffered now, and every line from then on as it comes, synchronously; stops the
   * periodic flush. For an app that closes: the lines of its shutdown are out before the process
   * ends (or is killed at the end of its grace), and no timer of its logger outlives it (in a test
   * worker, or a caller that closes the app and carries on).
   */
  writeThrough(): void;
}

/**
 * sonic-boom's own fields (its types leave them out): `sync` and `minLength` are read at every
 * write, and set once to turn its buffering off (writeThrough).
 */
interface SonicBoomState {
  sync: boolean;
  minLength: number;
  /** -1 until a file given by path is open. */
  fd: number;
  destroyed: boolean;
}

/**
 * Where the logs go (stdout, fd 1): asynchronous and buffered. Each write is a libuv threadpool
 * task (a thread wake-up): writing every line as it comes costs ~14 µs a request at a few thousand
 * requests a second, where a write of ten lines costs about what one did. On a quiet server a line
 * waits at most LOG_FLUSH_MS; pino writes what is left synchronously when the process exits (a
 * clean stop, an uncaught error), and so does writeThrough when the app closes. A hard kill
 * (SIGKILL, OOM) while serving loses at most that much.
 */
export function bufferedDestination(dest: number | string): BufferedDestination {
  const stream = pino.destination({
    dest,
    sync: false,
    minLength: LOG_BUFFER_BYTES,
    maxLength: LOG_BUFFER_MAX_BYTES,
    contentMode: 'buffer',
  }) as BufferedDestination;
  // pino hands over each line as a string. Sonic-boom's string mode appends it to the text pending
  // and measures that whole text's UTF-8 length again (flattening it) at every line: ~2.6 µs a
  // request with a few kilobytes pending. Each line is encoded once here instead, and the buffers
  // pending are joined once per write. Its buffer mode's write reads `length`, so it gets bytes.
  // (sonic-boom's types only know its string mode's write.)
  const writeBytes = stream.write.bind(stream) as unknown as (bytes: Buffer) => boolean;
  stream.write = (line: string) => writeBytes(Buffer.from(line));
  // The periodic flush, rather than sonic-boom's `periodicFlush` (stopped only by ending the stream,
  // after which a line logged throws); not once destroyed, before 'close' (flush() throws then).
  const state = stream as unknown as SonicBoomState;
  const periodicFlush = setInterval(() => state.destroyed || stream.flush(), LOG_FLUSH_MS).unref();
  stream.once('close', () => clearInterval(periodicFlush));
  stream.writeThrough = () => {
    clearInterval(periodicFlush);
    if (state.destroyed || state.minLength === 0) return;
    if (state.fd < 0) {
      stream.once('ready', () => stream.writeThrough());
      return;
    }
    // Synchronous first, so that what flush() starts is written before it returns (or, with a write
    // still in flight, right after it, in order: sonic-boom's write callback goes on while more than
    // minLength waits); then a minLength of 0, each line written at once (flush() does nothing at 0).
    state.sync = true;
    stream.flush();
    state.minLength = 0;
  };
  return stream;
}

/** Whether a destination was made by bufferedDestination (and has lines to write through at close). */
export const isBufferedDestination = (dest: DestinationStream): dest is BufferedDestination =>
  typeof (dest as Partial<BufferedDestination>).writeThrough === 'function';

export interface LoggerOptions {
  level: string;
  /** Literal secrets (the root key) to mask wherever they appear in an error. */
  secrets?: string[];
  destination?: DestinationStream;
}

/** pino's levels as Cloud Logging's LogSeverity. */
const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

let stampedAt = Number.NaN;
let stamp = '';

/**
 * pino's isoTime, formatted once per millisecond: under load many lines share a millisecond, and
 * formatting the date was a third of an access-log line's cost.
 */
export function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  registerSecrets(secrets);
  const errSerializer = (err: unknown) => {
    const base = pino.stdSerializers.err(err as Error);
    const detail = (base as { detail?: unknown }).detail;
    return censored(
      {
        ...base,
        message: scrubSecrets(String(base.message ?? ''), secrets),
        stack: scrubSecrets(String(base.stack ?? ''), secrets),
        // A problem's detail may carry text from outside (an upstream's answer).
        ...(typeof detail === 'string' ? { detail: scrubSecrets(detail, secrets) } : {}),
      },
      SECRET_FIELDS,
    );
  };
  const logger = pino(
    {
      level: options.level,
      base: { service: 'finops-api' },
      timestamp: isoTimeOncePerMs,
      serializers: { err: errSerializer, error: errSerializer },
      // Cloud Logging (Cloud Run's stdout) reads `severity` and `message`; without them every line
      // is of DEFAULT severity and shows as raw JSON, so errors cannot be filtered or alerted on.
      messageKey: 'message',
      formatters: {
        level: (label) => ({ level: label, severity: SEVERITY[label] ?? 'DEFAULT' }),
        bindings: redactFields,
        log: redactFields,
      },
    },
    options.destination ?? bufferedDestination(1),
  );
  // pino's bindings formatter sees only the root's own bindings, not a child's: a child's are
  // redacted here. Children inherit this method, so grandchildren are covered too.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

type Level = 'info' | 'error' | 'warn' | 'debug' | 'trace';

/**
 * Nest's own log calls (bootstrap, module init, services' `Logger`) go to the same structured pino
 * logger. Nest appends the logger's context as the last argument; a message may be a string or an
 * object of fields (then the next string is the message), and an error's second string is its stack.
 * An Error among the arguments (`logger.error('what failed', err)`) is logged as `err`: it was
 * dropped, and with it the only reason the line gave.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private emit(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const text = rest.find((p): p is string => typeof p === 'string');
    // `logger.error('what failed', err)`: the error is the reason, logged (and masked) as `err`.
    const err = rest.find((p): p is Error => p instanceof Error);
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      const fields = { context, ...(err ? { err } : {}), ...(message as Record<string, unknown>) };
      this.logger[level](fields, scrubSecrets(text ?? ''));
    } else if (message instanceof Error) {
      // Nest's ExceptionHandler logs an error a start-up hook threw so: its text masked as `err`'s is.
      this.logger[level]({ context, err: message }, scrubSecrets(text ?? message.message));
    } else {
      const stack = level === 'error' && text ? scrubSecrets(text) : undefined;
      this.logger[level]({ context, stack, ...(err ? { err } : {}) }, scrubSecrets(String(message)));
    }
  }

  log(message: unknown, ...params: unknown[]) {
    this.emit('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.emit('trace', message, params);
  }
}
