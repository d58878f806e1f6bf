import type { AppConfig } from '../config/app-config.js';
import { LocalInvalidationBus } from '../redis/invalidation-bus.js';
import type { ApiKeyLookup } from './api-key-resolver.js';
import { ApiKeyCache } from './api-key-cache.js';
import type { OrgKeyPrincipal } from './auth.types.js';

const principal = (orgSlug: string, apiKeyId: string): OrgKeyPrincipal => ({
  orgSlug,
  apiKeyId,
  scopes: ['org:read'],
  expiresAt: null,
});

/** A cache over a lookup that knows `valid` (hash → principal) and counts its lookups per hash. */
function cacheOver(valid: Record<string, OrgKeyPrincipal>) {
  const lookups = new Map<string, number>();
  const lookup: ApiKeyLookup = {
    findActiveByHash: async (hash) => {
      lookups.set(hash, (lookups.get(hash) ?? 0) + 1);
      return valid[hash] ?? null;
    },
  };
  const config = { env: { AUTH_CACHE_TTL_MS: 30_000 } } as unknown as AppConfig;
  return { cache: new ApiKeyCache(lookup, new LocalInvalidationBus(), config), lookups };
}

describe('ApiKeyCache', () => {
  it('keeps valid keys cached while more made-up keys than it holds are looked up', async () => {
    const { cache, lookups } = cacheOver({ good: principal('acme', 'k1') });
    expect(await cache.resolve('good')).toEqual(principal('acme', 'k1'));
    for (let i = 0; i < 10_001; i++) expect(await cache.resolve(`made-up-${i}`)).toBeNull();
    expect(cache.known('good')).toEqual(principal('acme', 'k1'));
    expect(await cache.resolve('good')).toEqual(principal('acme', 'k1'));
    expect(lookups.get('good')).toBe(1);
  });

  it('answers a key found invalid from the cache for a moment, then looks it up again', async () => {
    const { cache, lookups } = cacheOver({});
    expect(cache.known('bad')).toBeUndefined();
    expect(await cache.resolve('bad')).toBeNull();
    expect(cache.known('bad')).toBeNull();
    expect(await cache.resolve('bad')).toBeNull();
    expect(lookups.get('bad')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(cache.known('bad')).toBeUndefined();
    expect(await cache.resolve('bad')).toBeNull();
    expect(lookups.get('bad')).toBe(2);
  });

  it('shares a lookup begun after an invalidation even once the lookup it replaced has ended', async () => {
    const lookups: { hash: string; answer: (p: OrgKeyPrincipal | null) => void }[] = [];
    const lookup: ApiKeyLookup = {
      findActiveByHash: (hash) => new Promise((answer) => lookups.push({ hash, answer })),
    };
    const config = { env: { AUTH_CACHE_TTL_MS: 30_000 } } as unknown as AppConfig;
    const cache = new ApiKeyCache(lookup, new LocalInvalidationBus(), config);
    const first = cache.resolve('k');
    await cache.invalidateHash('k'); // the key was revoked while its lookup ran
    const second = cache.resolve('k');
    lookups[0]!.answer(principal('acme', 'k1'));
    await first;
    const third = cache.resolve('k');
    for (const pending of lookups.slice(1)) pending.answer(null);
    expect([await second, await third]).toEqual([null, null]);
    expect(lookups.map((l) => l.hash)).toEqual(['k', 'k']);
  });

  it("drops an org's valid keys and every key found invalid when the org is invalidated", async () => {
    const valid = { a: principal('acme', 'k1'), b: principal('beta', 'k2') };
    const { cache } = cacheOver(valid);
    await cache.resolve('a');
    await cache.resolve('b');
    expect(await cache.resolve('new')).toBeNull();
    await cache.invalidateOrg('acme');
    expect(cache.known('a')).toBeUndefined();
    expect(cache.known('b')).toEqual(valid.b);
    // A key issued since it was found invalid is valid now.
    expect(cache.known('new')).toBeUndefined();
    await cache.invalidateHash('b');
    expect(cache.known('b')).toBeUndefined();
  });
});
