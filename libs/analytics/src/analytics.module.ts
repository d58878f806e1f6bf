import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig, INVALIDATION_BUS, type InvalidationBus } from '#platform';
import { CostCache, type CostCacheOptions } from './cache/cost-cache.js';

/**
 * Optional overrides of the cost cache (bounds, TTL, clock). A global module providing this token
 * (tests pass one through `startTestApp(env, { imports })`) is picked up by `AnalyticsModule`.
 */
export const COST_CACHE_OPTIONS = Symbol('COST_CACHE_OPTIONS');

/**
 * One CostCache per app instance, wired to the platform's invalidation bus. Global, so that any
 * module that changes an org's costs (an import, a re-allocation) can inject `CostCache` and call
 * `invalidateOrg` without depending on the costs module.
 */
@Global()
@Module({
  providers: [
    {
      provide: CostCache,
      inject: [AppConfig, INVALIDATION_BUS, { token: COST_CACHE_OPTIONS, optional: true }],
      useFactory: (config: AppConfig, bus: InvalidationBus, options?: CostCacheOptions) =>
        new CostCache({
          logger: new Logger('CostCache'),
          frameLoadsMax: config.env.COST_FRAME_LOADS_MAX,
          ...options,
          bus: options?.bus ?? bus,
        }),
    },
  ],
  exports: [CostCache],
})
export class AnalyticsModule {}
