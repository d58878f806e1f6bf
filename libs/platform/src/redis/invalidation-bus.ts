import { randomUUID } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InvalidationHandlers, type InvalidationHandler } from './invalidation-handlers.js';
import { closeRedis, createRedis, type RedisLogger } from './redis-connection.js';
import { createSubscriber, SubscriberLiveness } from './subscriber-liveness.js';

/**
 * Tells every instance of the app that cached data is stale (the auth-key cache, the cost cache).
 * A publish reaches the handlers of the publishing instance before `publish` returns, and the other
 * instances' handlers shortly after. Redis pub/sub keeps nothing for a subscriber that is
 * disconnected at that moment (see `onReconnect`). A publish Redis did not take rejects, and the
 * Redis bus sends it again until Redis takes it, so the other instances still hear of it.
 */
export interface InvalidationBus {
  publish(channel: string, message: string): Promise<void>;
  /** Returns the unsubscribe function; calling it again, or after `close`, does nothing. */
  subscribe(channel: string, handler: (message: string) => void): () => void;
  /**
   * Called after a lost connection is back, or a first one made after failed attempts: messages
   * sent meanwhile may be lost, so caches drop everything.
   */
  onReconnect?(listener: () => void): () => void;
  close(): Promise<void>;
}

/** The bus of a single instance (no REDIS_URL): handlers run synchronously inside `publish`. */
export class LocalInvalidationBus implements InvalidationBus, OnApplicationShutdown {
  private readonly registry: InvalidationHandlers;
  private closed = false;

  constructor(logger: RedisLogger = new Logger('InvalidationBus')) {
    this.registry = new InvalidationHandlers(logger);
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new Error('InvalidationBus is closed');
    this.registry.deliver(channel, message);
  }

  subscribe(channel: string, handler: InvalidationHandler): () => void {
    if (this.closed) throw new Error('InvalidationBus is closed');
    const { remove } = this.registry.add(channel, handler);
    return () => void remove();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.registry.clear();
  }

  /** After every onModuleDestroy, so the caches have unsubscribed before the bus goes away. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

export interface RedisInvalidationBusOptions {
  /** Channel namespace. Pub/sub ignores the database number: environments sharing a Redis need their own. */
  prefix?: string;
  /** Base of the connection names (`<name>:pub`, `<name>:sub`) seen in `CLIENT LIST`. */
  name?: string;
  /** Identifies this instance in the envelope; random unless given. */
  instanceId?: string;
  logger?: RedisLogger;
  /** Close a client passed in on `close()`. Always true when the bus built its clients from a URL. */
  ownsClient?: boolean;
  /**
   * How often the subscriber's connection is checked: a PING (see `watchLiveness`) finds one that
   * went silent without closing, and a SUBSCRIBE that failed on a live one is repaired by a reconnect.
   */
  pingEveryMs?: number;
}

/**
 * A publish Redis did not take (this instance cut off from it while the others are not) is sent
 * again this often until it is: the other instances' subscribers stayed connected, so nothing
 * tells them to drop what they cached (cost results are kept until midnight).
 */
const RESEND_EVERY_MS = 1_000;
/** Bound on messages waiting to be sent again during a long outage; past it the oldest are dropped. */
const MAX_UNSENT = 10_000;
/** How soon a SUBSCRIBE that failed on a connection that stays up is repaired (by a reconnect). */
const RESUBSCRIBE_CHECK_MS = 15_000;

/** What travels on the Redis channel: the sender lets an instance skip the echo of its own publish. */
interface Envelope {
  v: 1;
  from: string;
  message: string;
}

/**
 * The bus across instances: PUBLISH on a shared connection, SUBSCRIBE on a dedicated one (a
 * subscribed connection can run nothing else). A publish is handled locally at once and skipped
 * when Redis echoes it back, so each handler sees it exactly once. After a reconnect, the bus
 * subscribes again to every channel that has handlers, then calls the `onReconnect` listeners. A
 * subscriber connection that went silent without closing is found by a PING (`watchLiveness`).
 */
export class RedisInvalidationBus implements InvalidationBus, OnApplicationShutdown {
  readonly instanceId: string;
  private readonly prefix: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly ownsPublisher: boolean;
  private readonly logger: RedisLogger;
  private readonly registry: InvalidationHandlers;
  private readonly reconnectListeners = new Set<() => void>();
  /** (Un)subscribe commands run one after another, so `whenSubscribed` can wait for all of them. */
  private commands: Promise<void> = Promise.resolve();
  private connected = false;
  /**
   * A connection was made or tried and lost: what was published meanwhile went unheard. Also before
   * the first connection, when its first attempts failed: an instance that starts while Redis is
   * unreachable serves (and caches) meanwhile, Redis not deciding readiness.
   */
  private missedMessages = false;
  private closed = false;
  /** Publishes Redis did not take, by Redis channel and payload (a repeat is kept once), oldest first. */
  private readonly unsent = new Map<string, { channel: string; payload: string }>();
  private resendTimer: NodeJS.Timeout | undefined;
  private resending = false;
  private readonly liveness: SubscriberLiveness;

  constructor(client: Redis | string, options: RedisInvalidationBusOptions = {}) {
    const name = options.name ?? 'invalidation-bus';
    this.logger = options.logger ?? new Logger('InvalidationBus');
    this.instanceId = options.instanceId ?? randomUUID();
    this.prefix = `${options.prefix ?? 'invalidate'}:`;
    this.registry = new InvalidationHandlers(this.logger);
    this.publisher =
      typeof client === 'string' ? createRedis(client, { name: `${name}:pub`, logger: this.logger }) : client;
    this.subscriber = createSubscriber(client, `${name}:sub`, this.logger, options.pingEveryMs);
    this.ownsPublisher = typeof client === 'string' || options.ownsClient === true;
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    this.subscriber.on('close', this.onClose);
    this.liveness = new SubscriberLiveness(this.subscriber, {
      everyMs: options.pingEveryMs || RESUBSCRIBE_CHECK_MS,
      logger: this.logger,
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new Error('InvalidationBus is closed');
    // Local first: even when Redis is down, this instance stops serving the stale entry.
    this.registry.deliver(channel, message);
    const envelope: Envelope = { v: 1, from: this.instanceId, message };
    const payload = JSON.stringify(envelope);
    if (this.publisher.status !== 'ready') {
      // Cut off from Redis: the command would wait in ioredis' offline queue for its whole timeout
      // (a key revocation answered a second late); kept for the resend at once instead.
      this.keepUnsent(this.prefix + channel, payload);
      throw new Error(`Redis is not connected (${this.publisher.status}): the publish is sent again`);
    }
    try {
      await this.publisher.publish(this.prefix + channel, payload);
    } catch (error) {
      // Sent again until Redis takes it. A publish that reached Redis although its answer did not
      // arrive (a command timeout) is then delivered twice, which an invalidation tolerates.
      this.keepUnsent(this.prefix + channel, payload);
      throw error;
    }
  }

  subscribe(channel: string, handler: InvalidationHandler): () => void {
    if (this.closed) throw new Error('InvalidationBus is closed');
    const { first, remove } = this.registry.add(channel, handler);
    // When not connected, onReady subscribes to every channel in the registry.
    if (first && this.connected) this.enqueueSubscribe([this.prefix + channel]);
    return () => {
      if (remove() && this.connected && !this.closed) {
        this.enqueue(() => this.subscriber.unsubscribe(this.prefix + channel));
      }
    };
  }

  /**
   * `listener` runs after each reconnect of the subscriber, once it is subscribed again. Messages
   * published while it was disconnected are lost, so a cache that must not serve a revoked entry
   * clears itself here. Returns the function that removes the listener.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }

  /**
   * Resolves once connected (however long that takes: the publishing connection too, which a
   * publish needs ready) and every subscribe issued so far has been acknowledged by Redis, or once
   * the bus is closed.
   */
  async whenSubscribed(): Promise<void> {
    const ready = (client: Redis, isReady: () => boolean) =>
      isReady() || this.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = (): void => {
              client.off('ready', done).off('end', done);
              resolve();
            };
            client.on('ready', done).on('end', done);
          });
    await Promise.all([
      ready(this.subscriber, () => this.connected),
      ready(this.publisher, () => ['ready', 'end'].includes(this.publisher.status)),
    ]);
    let pending: Promise<void>;
    do {
      pending = this.commands;
      await pending;
    } while (pending !== this.commands);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.liveness.stop();
    clearInterval(this.resendTimer);
    this.resendTimer = undefined;
    this.unsent.clear();
    this.registry.clear();
    this.reconnectListeners.clear();
    this.subscriber.off('message', this.onMessage).off('ready', this.onReady).off('close', this.onClose);
    await closeRedis(this.subscriber);
    if (this.ownsPublisher) await closeRedis(this.publisher);
  }

  /** After every onModuleDestroy, so the caches have unsubscribed before the bus goes away. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private readonly onMessage = (redisChannel: string, raw: string): void => {
    if (!redisChannel.startsWith(this.prefix)) return;
    const envelope = parseEnvelope(raw);
    if (!envelope) {
      this.logger.warn(`Ignored a message on "${redisChannel}" that is not an invalidation envelope`);
      return;
    }
    if (envelope.from === this.instanceId) return;
    this.registry.deliver(redisChannel.slice(this.prefix.length), envelope.message);
  };

  private readonly onReady = (): void => {
    this.connected = true;
    const reconnected = this.missedMessages;
    this.missedMessages = false;
    const channels = this.registry.channels().map((channel) => this.prefix + channel);
    if (channels.length > 0) this.enqueueSubscribe(channels);
    if (reconnected) this.enqueue(async () => this.notifyReconnected());
  };

  private readonly onClose = (): void => {
    this.connected = false;
    this.missedMessages = true;
    this.liveness.connectionLost();
  };

  private notifyReconnected(): void {
    for (const listener of [...this.reconnectListeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error(`Invalidation bus reconnect listener failed: ${errorMessage(error)}`);
      }
    }
  }

  private keepUnsent(channel: string, payload: string): void {
    // A publish that failed because close() ended its connection: nothing would ever clear the timer.
    if (this.closed) return;
    const key = `${channel}\n${payload}`;
    this.unsent.delete(key);
    this.unsent.set(key, { channel, payload });
    if (this.unsent.size > MAX_UNSENT) {
      this.unsent.delete(this.unsent.keys().next().value as string);
      this.logger.warn(`Invalidation bus: over ${MAX_UNSENT} unsent messages, the oldest dropped`);
    }
    this.resendTimer ??= setInterval(() => void this.resendUnsent(), RESEND_EVERY_MS).unref();
  }

  private async resendUnsent(): Promise<void> {
    if (this.resending || this.closed) return;
    this.resending = true;
    let sent = 0;
    try {
      for (const [key, { channel, payload }] of this.unsent) {
        await this.publisher.publish(channel, payload);
        this.unsent.delete(key);
        sent++;
      }
      clearInterval(this.resendTimer);
      this.resendTimer = undefined;
    } catch {
      // Still unreachable: the next tick tries again.
    } finally {
      this.resending = false;
      if (sent > 0)
        this.logger.log(`Invalidation bus: ${sent} message(s) published once Redis answered again`);
    }
  }

  private enqueueSubscribe(channels: string[]): void {
    this.enqueue(() => this.subscriber.subscribe(...channels), true);
  }

  private enqueue(command: () => Promise<unknown>, subscribing = false): void {
    this.commands = this.commands.then(command).then(
      () => undefined,
      (error: unknown) => {
        if (this.closed) return;
        this.logger.warn(`Invalidation bus (un)subscribe failed: ${errorMessage(error)}`);
        // A reconnect re-subscribes from the registry; a SUBSCRIBE that failed on a connection that
        // stays up gets one from SubscriberLiveness. A failed UNSUBSCRIBE only leaves an extra channel.
        if (subscribing) this.liveness.subscribeFailed(errorMessage(error));
      },
    );
  }
}

function parseEnvelope(raw: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, from, message } = value as Record<string, unknown>;
  if (v !== 1 || typeof from !== 'string' || typeof message !== 'string') return undefined;
  return { v, from, message };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
