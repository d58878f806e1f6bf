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
/** Keys each cache holds at most. */
const MAX_KEYS = 10_000;

/**
 * A short cache of key lookups. A revocation or rotation calls `invalidateOrg`/`invalidateHash`,
 * which clears this instance at once and every other instance through the invalidation bus.
 * Keys found invalid are kept apart from valid ones, in a cache of their own: made-up keys (as
 * many as callers care to send) never push the tenants' valid keys out, which would make their
 * requests look them up again and lose the kept cost responses (answered from this cache only).
 */
@Injectable()
export class ApiKeyCache implements OnModuleDestroy {
  private readonly valid: LRUCache<string, OrgKeyPrincipal>;
  /** Hashes of keys looked up recently and found invalid (unknown, revoked, expired). */
  private readonly invalid = new LRUCache<string, true>({ max: MAX_KEYS, ttl: NEGATIVE_TTL_MS });
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
    this.valid = new LRUCache<string, OrgKeyPrincipal>({
      max: MAX_KEYS,
      ttl: Math.max(config.env.AUTH_CACHE_TTL_MS, 1),
    });
    this.unsubscribe = bus.subscribe(CHANNEL, (message) => this.apply(message));
    // A revocation published while this instance was disconnected from Redis is lost: forget everything.
    this.stopReconnectListener = bus.onReconnect?.(() => this.clear()) ?? (() => undefined);
  }

  async resolve(keyHash: string): Promise<OrgKeyPrincipal | null> {
    const known = this.known(keyHash);
    if (known !== undefined) return known;
    const pending = this.inflight.get(keyHash);
    if (pending) return pending;
    const generation = this.generation;
    // An invalidation may have dropped this lookup for a newer one, which must stay shared.
    const load: Promise<OrgKeyPrincipal | null> = this.lookup.findActiveByHash(keyHash).finally(() => {
      if (this.inflight.get(keyHash) === load) this.inflight.delete(keyHash);
    });
    this.inflight.set(keyHash, load);
    const principal = await load;
    if (generation === this.generation) {
      if (principal) this.valid.set(keyHash, principal);
      else this.invalid.set(keyHash, true);
    }
    return principal;
  }

  /**
   * What the cache knows of a key without looking it up: its principal, null for a key known to be
   * invalid, undefined when it has to be looked up.
   */
  known(keyHash: string): OrgKeyPrincipal | null | undefined {
    return this.valid.get(keyHash) ?? (this.invalid.get(keyHash) ? null : undefined);
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
    if (hash) {
      this.valid.delete(hash);
      this.invalid.delete(hash);
    }
    if (org) {
      for (const [k, v] of this.valid.entries()) if (v.orgSlug === org) this.valid.delete(k);
      // A key of the org may have become valid (issued, or the org activated) since found invalid.
      this.invalid.clear();
    }
  }

  private clear(): void {
    this.generation++;
    this.inflight.clear();
    this.valid.clear();
    this.invalid.clear();
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.stopReconnectListener();
  }
}
