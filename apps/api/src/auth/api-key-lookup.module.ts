import { Module } from '@nestjs/common';
import { API_KEY_LOOKUP } from '#platform';
import { ApiKeyRepository } from './api-key.repository.js';

@Module({
  providers: [ApiKeyRepository, { provide: API_KEY_LOOKUP, useExisting: ApiKeyRepository }],
  exports: [API_KEY_LOOKUP, ApiKeyRepository],
})
export class ApiKeyLookupModule {}
