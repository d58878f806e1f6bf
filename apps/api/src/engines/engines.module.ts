import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { AppConfig, ConfigValidationError, ENGINES_CLOSE_MARGIN_MS, ShutdownState } from '#platform';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { openEncryptor, openTenancyDb, openWarehouse } from './engines.js';

/** A production start fails, naming KMS_KEY_NAME, when the key does not answer. */
export async function checkKeyAtStart(encryptor: Encryptor, keyName: string | undefined): Promise<void> {
  try {
    await encryptor.ping();
  } catch (err) {
    throw new ConfigValidationError([
      `KMS_KEY_NAME: the encryption key ${keyName ?? '(local key file)'} is not usable: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
}

/** The warehouse, the tenancy DB, the schema registry and the encryptor: opened once, closed at shutdown. */
@Global()
@Module({
  providers: [
    { provide: WAREHOUSE, inject: [AppConfig], useFactory: openWarehouse },
    { provide: TENANCY_DB, inject: [AppConfig], useFactory: openTenancyDb },
    { provide: SchemaRegistry, useFactory: () => SchemaRegistry.load() },
    {
      provide: ENCRYPTOR,
      inject: [AppConfig, WAREHOUSE],
      useFactory: async (config: AppConfig, warehouse: Warehouse) => {
        const encryptor = await openEncryptor(config, warehouse);
        // A production start fails when the key does not work (as the replaced service did), rather
        // than serving until the first onboarding or credential is refused with a 500.
        if (config.isProduction) await checkKeyAtStart(encryptor, config.env.KMS_KEY_NAME);
        return encryptor;
      },
    },
  ],
  exports: [WAREHOUSE, TENANCY_DB, SchemaRegistry, ENCRYPTOR],
})
export class EnginesModule implements OnApplicationShutdown {
  private readonly disarmCut: () => void;

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(TENANCY_DB) private readonly tenancyDb: TenancyDb,
    config: AppConfig,
    shutdown: ShutdownState,
  ) {
    // A statement waiting on a lock or a failover holds its request until the statement timeout
    // (30 s), past the grace (Cloud Run's 10 s): the process was stopped with the request and its
    // connection dropped unanswered. Cut near the grace's end, the request answers 503.
    this.disarmCut = shutdown.nearGraceEnd(config.env.SHUTDOWN_GRACE_MS, ENGINES_CLOSE_MARGIN_MS, () =>
      this.tenancyDb.cutInFlight?.(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.warehouse.close(), this.tenancyDb.close()]);
    // Armed until here: the tenancy DB's close waits for the statements in flight, which the cut ends.
    this.disarmCut();
  }
}
