import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { type AppConfig, PlatformModule } from '#platform';
import { AdminModule } from './admin/admin.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuditModule } from './audit/audit.module.js';
import { CommonModule } from './common/common.module.js';
import { ApiKeyLookupModule } from './auth/api-key-lookup.module.js';
import { EnginesModule } from './engines/engines.module.js';
import { HealthModule } from './health/health.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { PipelineValidatorModule } from './pipeline-validator/pipeline-validator.module.js';
import { QuotaModule } from './quota/quota.module.js';
import { OrganizationsModule } from './organizations/organizations.module.js';
import { CostImportModule } from './cost-import/cost-import.module.js';
import { DemoModule } from './demo/demo.module.js';
import { PipelineLogsModule } from './pipeline-logs/pipeline-logs.module.js';
import { PipelinesProxyModule } from './pipelines-proxy/pipelines-proxy.module.js';
import { AdminPipelinesModule } from './admin-pipelines/admin-pipelines.module.js';
import { CostsModule } from './costs/costs.module.js';

@Module({})
export class AppModule {
  /** `extra` lets tests mount probe modules on the real app. */
  static forRoot(config: AppConfig, extra: NonNullable<ModuleMetadata['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        EnginesModule,
        CommonModule,
        PlatformModule.forRoot({ config, apiKeyLookup: ApiKeyLookupModule }),
        HealthModule,
        AdminModule,
        AuditModule,
        ApiKeysModule,
        IdempotencyModule,
        QuotaModule,
        PipelineValidatorModule,
        OrganizationsModule,
        CostImportModule,
        DemoModule,
        PipelineLogsModule,
        PipelinesProxyModule,
        AdminPipelinesModule,
        CostsModule,
        ...extra,
      ],
    };
  }
}
