import { Module } from '@nestjs/common';
import { BootstrapController } from './bootstrap.controller.js';
import { BootstrapService } from './bootstrap.service.js';
import { RequiredColumnsRepository } from './required-columns.repository.js';

@Module({
  controllers: [BootstrapController],
  providers: [BootstrapService, RequiredColumnsRepository],
  exports: [BootstrapService],
})
export class AdminModule {}
