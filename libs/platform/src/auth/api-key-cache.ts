import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config.js';
import { INVALIDATION_BUS } from '../platform.tokens.js';
import type { InvalidationBus } from '../redis/invalidation-bus.js';
import { API_KEY_LOOKUP, type ApiKeyLookup } from './api-key-resolver.js';
import type { OrgKeyPrincipal } from './auth.types.js';

const CHANNEL = 'auth:api-keys';
/** Unknown keys are remembered briefly so a flood of bad keys does not reach the warehouse. */
const NEGATIVE_TTL_MS = 2_000;

type Entry = { principal: OrgKeyPrincipal | null };

/**
 * A short cache of key lookups. A revocation or rotation calls `invalidateOrg`/`invalidateHash`,
 * which clears this instance at once and every other instance through the invalidation bus.
 */
@Injectable()
export class ApiKeyCache implements OnModuleDestroy {
  private readonly cache: LRUCache<string, Entry>;
  private readonly unsubscribe: () => void;
  private readonly stopReconnectListener: () => void;
  private readonly inflight = new Map<string, Promise<OrgKeyPrincipal | null>>();
  /** Bumped by every invalidation, so a lookup that raced with a revocation is not cached. */
  private generation = 0;

  constructor(
    @Inject(API_KEY_LOOKUP) private readonly lookup: ApiKeyLookup,
    @Inject(INVALIDATION_BUS) private readonly bus: InvalidationBus,
    config: AppConfig,
  ) {
    this.cache = new LRUCache<string, Entry>({ max: 10_000, ttl: Math.max(config.env.AUTH_CACHE_TTL_MS, 1) });
    this.unsubscribe = bus.subscribe(CHANNEL, (message) => this.apply(message));
    // A revocation published while this instance was disconnected from Redis is lost: forget everything.
    this.stopReconnectListener = bus.onReconnect?.(() => this.clear()) ?? (() => undefined);
  }

  async resolve(keyHash: string): Promise<OrgKeyPrincipal | null> {
    const hit = this.cache.get(keyHash);
    if (hit) return hit.principal;
    const pending = this.inflight.get(keyHash);
    if (pending) return pending;
    const generation = this.generation;
    const load = this.lookup.findActiveByHash(keyHash).finally(() => this.inflight.delete(keyHash));
    this.inflight.set(keyHash, load);
    const principal = await load;
    if (generation === this.generation) {
      this.cache.set(keyHash, { principal }, principal ? {} : { ttl: NEGATIVE_TTL_MS });
    }
    return principal;
  }

  /**
   * What the cache knows of a key without looking it up: its principal, null for a key known to be
   * invalid, undefined when it has to be looked up.
   */
  known(keyHash: string): OrgKeyPrincipal | null | undefined {
    return this.cache.get(keyHash)?.principal;
  }

  /** Passes a successful authentication on to the lookup's usage tracking, if it has one. */
  recordUse(principal: OrgKeyPrincipal): void {
    this.lookup.recordUse?.(principal);
  }

  async invalidateHash(keyHash: string): Promise<void> {
    await this.bus.publish(CHANNEL, JSON.stringify({ hash: keyHash }));
  }

  async invalidateOrg(orgSlug: string): Promise<void> {
    await this.bus.publish(CHANNEL, JSON.stringify({ org: orgSlug }));
  }

  /** Every key of every org, on every instance (the central tables were recreated). */
  async invalidateAll(): Promise<void> {
    await this.bus.publish(CHANNEL, JSON.stringify({ all: true }));
  }

  private apply(message: string): void {
    const { hash, org, all } = JSON.parse(message) as { hash?: string; org?: string; all?: boolean };
    if (all) {
      this.clear();
      return;
    }
    this.generation++;
    this.inflight.clear();
    if (hash) this.cache.delete(hash);
    if (org) {
      for (const [k, v] of this.cache.entries())
        if (!v.principal || v.principal.orgSlug === org) this.cache.delete(k);
    }
  }

  private clear(): void {
    this.generation++;
    this.inflight.clear();
    this.cache.clear();
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.stopReconnectListener();
  }
}
