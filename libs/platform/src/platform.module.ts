import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { ApiKeyCache } from './auth/api-key-cache.js';
import { AuthService } from './auth/auth.guards.js';
import { OrgKeyGuard, OrgKeyOrRootGuard, RootKeyGuard } from './auth/route-guards.js';
import { AppConfig } from './config/app-config.js';
import { HttpMetrics } from './http/http-metrics.js';
import { ShutdownState } from './http/shutdown-state.js';
import { NativeMemoryCollector } from './memory/native-memory.collector.js';
import { INVALIDATION_BUS, REDIS_CLIENT } from './platform.tokens.js';
import { LocalInvalidationBus, RedisInvalidationBus } from './redis/invalidation-bus.js';
import { closeRedis, createRedis } from './redis/redis-connection.js';
import {
  AppThrottlerGuard,
  isAdminRoute,
  isHeavyRead,
  isPipelineServiceRoute,
  isReadRequest,
} from './throttling/app-throttler.guard.js';
import { MemoryThrottlerStorage } from './throttling/memory-throttler.storage.js';
import { RedisThrottlerStorage } from './throttling/redis-throttler.storage.js';

export interface PlatformModuleOptions {
  config: AppConfig;
  /** A module exporting API_KEY_LOOKUP (the app's org-key repository). */
  apiKeyLookup: NonNullable<ModuleMetadata['imports']>[number];
}

const MINUTE = 60_000;

/** Closes the shared Redis connection last, after the bus and the caches are done with it. */
@Injectable()
class SharedRedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis | null) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await closeRedis(this.redis);
  }
}

/** Config, auth, rate limits, metrics and cross-instance plumbing; global to every feature module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: PlatformModule,
      imports: [
        options.apiKeyLookup,
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: [() => ({ ...config.env })],
        }),
        ThrottlerModule.forRootAsync({
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null) => ({
            throttlers: [
              {
                name: 'reads',
                ttl: MINUTE,
                limit: config.env.RATE_LIMIT_READS_PER_MINUTE,
                skipIf: (c) => !isReadRequest(c),
              },
              {
                name: 'writes',
                ttl: MINUTE,
                limit: config.env.RATE_LIMIT_WRITES_PER_MINUTE,
                skipIf: isReadRequest,
              },
              {
                name: 'admin',
                ttl: MINUTE,
                limit: config.env.RATE_LIMIT_ADMIN_PER_MINUTE,
                skipIf: (c) => !isAdminRoute(c),
              },
              {
                name: 'heavy-reads',
                ttl: MINUTE,
                limit: config.env.RATE_LIMIT_HEAVY_READS_PER_MINUTE,
                skipIf: (c) => !isHeavyRead(c),
              },
              {
                name: 'pipeline-service',
                ttl: MINUTE,
                limit: config.env.RATE_LIMIT_PIPELINE_PER_MINUTE,
                skipIf: (c) => !isPipelineServiceRoute(c),
              },
            ],
            storage: redis
              ? new RedisThrottlerStorage(redis, { prefix: `${config.redisPrefix}:throttle` })
              : new MemoryThrottlerStorage(),
          }),
        }),
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        HttpMetrics,
        ShutdownState,
        NativeMemoryCollector,
        {
          provide: REDIS_CLIENT,
          useFactory: () =>
            config.env.REDIS_URL ? createRedis(config.env.REDIS_URL, { name: 'shared' }) : null,
        },
        {
          provide: INVALIDATION_BUS,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null) =>
            redis
              ? new RedisInvalidationBus(redis, {
                  prefix: `${config.redisPrefix}:invalidate`,
                  name: 'finops-bus',
                })
              : new LocalInvalidationBus(),
        },
        SharedRedisLifecycle,
        ApiKeyCache,
        AuthService,
        RootKeyGuard,
        OrgKeyGuard,
        OrgKeyOrRootGuard,
        AppThrottlerGuard,
        { provide: APP_GUARD, useExisting: AppThrottlerGuard },
      ],
      exports: [
        AppConfig,
        HttpMetrics,
        ShutdownState,
        REDIS_CLIENT,
        INVALIDATION_BUS,
        ApiKeyCache,
        AuthService,
        RootKeyGuard,
        OrgKeyGuard,
        OrgKeyOrRootGuard,
        AppThrottlerGuard,
      ],
    };
  }
}
