import type { CostCacheOptions } from '../cache/cost-cache.types.js';

/** An invalidation bus for specs that only reconnects, when `reconnect()` is called. */
export function reconnectingBus(): { bus: NonNullable<CostCacheOptions['bus']>; reconnect: () => void } {
  let listener: () => void = () => undefined;
  return {
    bus: {
      publish: async () => undefined,
      subscribe: () => () => undefined,
      onReconnect: (l: () => void) => {
        listener = l;
        return () => undefined;
      },
    },
    reconnect: () => listener(),
  };
}
