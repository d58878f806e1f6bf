import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ApiKeyOperations } from './api-key-operations.service.js';
import { OrgApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
import { AdminApiKeyController } from './api-keys-admin.controller.js';
import { OrgApiKeyController } from './api-keys.controller.js';

/** Org API keys. Exports ApiKeyService (onboarding issues, re-sync reveals, offboarding deletes). */
@Module({
  imports: [AuditModule],
  controllers: [OrgApiKeyController, AdminApiKeyController],
  providers: [ApiKeyService, ApiKeyOperations, OrgApiKeyRepository],
  exports: [ApiKeyService],
})
export class ApiKeysModule {}
