import { Module } from '@nestjs/common';
import { BootstrapController } from './bootstrap.controller.js';
import { BootstrapService } from './bootstrap.service.js';
import { CentralLocation } from './central-location.js';
import { RequiredColumnsRepository } from './required-columns.repository.js';

@Module({
  controllers: [BootstrapController],
  providers: [BootstrapService, CentralLocation, RequiredColumnsRepository],
  exports: [BootstrapService, CentralLocation],
})
export class AdminModule {}
