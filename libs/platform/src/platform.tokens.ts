/** DI tokens of platform services whose implementation is chosen at start. */
export const INVALIDATION_BUS = Symbol('INVALIDATION_BUS');
/** The shared ioredis client, or null when REDIS_URL is unset. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
