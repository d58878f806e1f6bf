import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { stopLiveness, watchLiveness } from './connection-liveness.js';

/** The part of Nest's LoggerService this module uses, so tests can capture what gets logged. */
export interface RedisLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface CreateRedisOptions {
  /** Shows up in logs and in `CLIENT LIST` (as the connection name), e.g. `throttler`, `bus-sub`. */
  name: string;
  logger?: RedisLogger;
  /** Upper bound on any one command, including time spent queued while disconnected. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How often a PING checks that a 'ready' connection still answers (see `watchLiveness`); 0: never. */
  pingEveryMs?: number;
  /** For a connection role that needs something else (the bus subscriber turns autoResubscribe off). */
  overrides?: Partial<RedisOptions>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
const DEFAULT_PING_EVERY_MS = 5_000;
/** Bounds the wait for the socket to close, should ioredis never report it. */
const CLOSE_WAIT_MS = 2_000;

/**
 * The URL with its password replaced, for logs and error messages. An unparsable URL is not echoed
 * at all: whatever it is, it may still hold the secret.
 */
export function redactRedisUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) return '<unparsable redis url>';
  if (parsed.password) parsed.password = '***';
  // ioredis takes its options from the query too: `?password=…` (and `sentinelPassword`) is the password.
  for (const name of new Set(parsed.searchParams.keys()))
    if (/pass/i.test(name)) parsed.searchParams.set(name, '***');
  return parsed.toString();
}

/**
 * One ioredis connection with the options every caller here wants.
 *
 * - Connects at once (no lazyConnect): a wrong URL or password shows in the log at boot, not on the
 *   first request.
 * - Offline queue ON, bounded by commandTimeout: commands issued during boot or a short reconnect
 *   wait for the connection instead of failing at once (with the queue off, the first requests
 *   after start and every SUBSCRIBE issued before `ready` would throw), yet no caller waits longer
 *   than `commandTimeoutMs` — ioredis starts that timer when the command is queued, not when it is
 *   sent. A rate-limit check on the request path must fail fast during an outage, not hang.
 * - maxRetriesPerRequest 2 (default 20): queued commands are flushed with an error after two failed
 *   reconnects, so a long outage does not pile up memory.
 * - Reconnects forever in the background with a delay capped at 2 s, and after a failover (the old
 *   primary answering READONLY).
 * - A connection that went half-open (status 'ready', nothing answered: commands only time out,
 *   which never makes ioredis reconnect) is found by a periodic PING and dropped, so ioredis
 *   reconnects (`watchLiveness`), instead of staying dead until TCP keepalive notices, hours later.
 * - The password never reaches a log line: messages carry `redactRedisUrl(url)`, and an error
 *   listener is always attached (without one, ioredis prints errors to the console itself).
 */
export function createRedis(url: string, options: CreateRedisOptions): Redis {
  const safeUrl = redactRedisUrl(url);
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new Error(`Redis URL for "${options.name}" must start with redis:// or rediss:// (got ${safeUrl})`);
  }
  const logger = options.logger ?? new Logger(`Redis:${options.name}`);
  const redisOptions: RedisOptions = {
    connectionName: options.name.replace(/\s+/g, '-'),
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
    ...options.overrides,
  };
  const redis = new Redis(url, redisOptions);
  logRedisOutages(redis, safeUrl, logger);
  watchRedisLiveness(redis, `${safeUrl} (${options.name})`, logger, options.pingEveryMs);
  return redis;
}

/**
 * The periodic PING of `watchLiveness` on a connection: every one `createRedis` makes, and one made
 * with `duplicate()` (which shares the options, not the watch). `label` must be redacted; 0: never.
 */
export function watchRedisLiveness(
  redis: Redis,
  label: string,
  logger: RedisLogger,
  everyMs = DEFAULT_PING_EVERY_MS,
): void {
  if (everyMs <= 0) return;
  // The PING is bounded by the command timeout too; the own bound covers a timeout turned off.
  const timeoutMs = Math.min(redis.options.commandTimeout || everyMs, everyMs);
  watchLiveness(redis, { everyMs, timeoutMs, label, logger });
}

/**
 * Logs the first error of an outage and the recovery, not every failed reconnect: a Redis that is
 * down for a minute would otherwise write hundreds of identical lines. Also for connections made
 * with `duplicate()`, which share the options but not the listeners. `safeUrl` must be redacted.
 */
export function logRedisOutages(redis: Redis, safeUrl: string, logger: RedisLogger): void {
  let failing = false;
  redis.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    logger.error(`Redis ${safeUrl} unavailable: ${error.message}`);
  });
  redis.on('ready', () => {
    if (failing) logger.log(`Redis ${safeUrl} reconnected`);
    failing = false;
  });
}

/**
 * Closes a connection this code owns and resolves once its socket is closed: QUIT when connected
 * (pending replies still arrive), a hard disconnect otherwise (QUIT would sit in the offline queue
 * until the timeout). Between reconnect attempts there is no socket; disconnect() only cancels the
 * next attempt, and ioredis then never reports `end`, so there is nothing to wait for.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  stopLiveness(redis);
  if (redis.status === 'end') return;
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_WAIT_MS);
    redis.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (redis.status === 'ready') {
    try {
      await redis.quit();
    } catch {
      redis.disconnect(false);
    }
  } else {
    redis.disconnect(false);
  }
  if (redis.status !== 'reconnecting' && redis.status !== 'wait') await ended;
}
