import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createEncryptor, ENCRYPTOR } from '#crypto';
import { AppConfig } from '#platform';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { openTenancyDb, openWarehouse } from './engines.js';

/** The warehouse, the tenancy DB, the schema registry and the encryptor: opened once, closed at shutdown. */
@Global()
@Module({
  providers: [
    { provide: WAREHOUSE, inject: [AppConfig], useFactory: openWarehouse },
    { provide: TENANCY_DB, inject: [AppConfig], useFactory: openTenancyDb },
    { provide: SchemaRegistry, useFactory: () => SchemaRegistry.load() },
    {
      provide: ENCRYPTOR,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        createEncryptor({
          kmsKeyName: config.env.KMS_KEY_NAME,
          kmsApiEndpoint: config.env.KMS_API_ENDPOINT,
          localKeyFile: config.encryptionKeyFile,
        }),
    },
  ],
  exports: [WAREHOUSE, TENANCY_DB, SchemaRegistry, ENCRYPTOR],
})
export class EnginesModule implements OnApplicationShutdown {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(TENANCY_DB) private readonly tenancyDb: TenancyDb,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.warehouse.close(), this.tenancyDb.close()]);
  }
}
