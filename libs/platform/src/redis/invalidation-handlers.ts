import type { RedisLogger } from './redis-connection.js';

export type InvalidationHandler = (message: string) => void;

/** Handlers per channel. Each subscribe call is its own entry, so one function may be subscribed twice. */
export class InvalidationHandlers {
  private readonly byChannel = new Map<string, Set<{ handler: InvalidationHandler }>>();

  constructor(private readonly logger: RedisLogger) {}

  /** `first`: the channel had no handler before; `remove()` returns true when it took the last one. */
  add(channel: string, handler: InvalidationHandler): { first: boolean; remove: () => boolean } {
    let entries = this.byChannel.get(channel);
    const first = entries === undefined;
    if (!entries) {
      entries = new Set();
      this.byChannel.set(channel, entries);
    }
    const entry = { handler };
    entries.add(entry);
    const set = entries;
    const remove = (): boolean => {
      if (!set.delete(entry) || set.size > 0 || this.byChannel.get(channel) !== set) return false;
      this.byChannel.delete(channel);
      return true;
    };
    return { first, remove };
  }

  /** A handler that throws must not keep the other caches stale, so each one is isolated. */
  deliver(channel: string, message: string): void {
    const entries = this.byChannel.get(channel);
    if (!entries) return;
    for (const { handler } of [...entries]) {
      try {
        handler(message);
      } catch (error) {
        // The message itself stays out of the log: it may name an API key hash or an org.
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error(`Invalidation handler on "${channel}" failed: ${reason}`);
      }
    }
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  clear(): void {
    this.byChannel.clear();
  }
}
