import { Module } from '@nestjs/common';
import { AppConfig } from '#platform';
import { ApiKeyLookupModule } from '../auth/api-key-lookup.module.js';
import { CostImportController } from './cost-import.controller.js';
import { COST_IMPORT_OPTIONS, costImportOptions } from './cost-import.options.js';
import { CostImportRepository } from './cost-import.repository.js';
import { CostImportService } from './cost-import.service.js';
import { UploadAdmission } from './import-admission.js';
import { ImportBodyParser } from './import-body-parser.js';
import { ImportFolders } from './import-folders.js';
import { ImportedRows, ImportRegistry } from './import-registry.js';
import { ImportReportRepository } from './import-report.repository.js';
import { ImportRunner } from './import-runner.js';

/** FOCUS file imports into an org's cost table (`.../costs/import`); the demo seeds through it too. */
@Module({
  imports: [ApiKeyLookupModule],
  controllers: [CostImportController],
  providers: [
    {
      provide: COST_IMPORT_OPTIONS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => costImportOptions(config),
    },
    CostImportRepository,
    {
      provide: ImportedRows,
      inject: [CostImportRepository, AppConfig],
      useFactory: (repository: CostImportRepository, config: AppConfig): ImportedRows => ({
        count: (org, runId) => repository.countRun(config.orgDataset(org), runId),
      }),
    },
    ImportReportRepository,
    ImportRegistry,
    ImportRunner,
    UploadAdmission,
    ImportFolders,
    CostImportService,
    ImportBodyParser,
  ],
  exports: [CostImportService, ImportFolders],
})
export class CostImportModule {}
