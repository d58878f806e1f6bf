import { Module } from '@nestjs/common';
import { CostImportModule } from '../cost-import/cost-import.module.js';
import { DemoService } from './demo.service.js';

/** The demo organization (`npm run demo`, `DEMO_DATA=true`): onboarded and filled through the real modules. */
@Module({
  imports: [CostImportModule],
  providers: [DemoService],
  exports: [DemoService],
})
export class DemoModule {}
