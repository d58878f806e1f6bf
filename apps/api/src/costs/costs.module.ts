import { Module } from '@nestjs/common';
import { AnalyticsModule } from '#analytics';
import { CostCacheMetrics } from './cost-cache-metrics.js';
import { CostContextService } from './cost-context.service.js';
import { CostListing } from './cost-listing.service.js';
import { CostReader } from './cost-reader.service.js';
import { CostResponseCache, CostResponseRecorder } from './cost-response-cache.js';
import { CostsController } from './costs.controller.js';
import { CostsRepository } from './costs.repository.js';
import { CostsService } from './costs.service.js';

/**
 * Cost reads. The cost cache comes from the (global) AnalyticsModule, so writers of costs can
 * inject `CostCache` and call `invalidateOrg` without importing this module.
 */
@Module({
  imports: [AnalyticsModule],
  controllers: [CostsController],
  providers: [
    CostsRepository,
    CostContextService,
    CostReader,
    CostListing,
    CostsService,
    CostResponseCache,
    CostResponseRecorder,
    CostCacheMetrics,
  ],
})
export class CostsModule {}
