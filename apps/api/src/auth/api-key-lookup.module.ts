import { Module } from '@nestjs/common';
import { API_KEY_LOOKUP } from '#platform';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyUsageRecorder } from './api-key-usage.recorder.js';

@Module({
  providers: [
    ApiKeyUsageRecorder,
    ApiKeyRepository,
    { provide: API_KEY_LOOKUP, useExisting: ApiKeyRepository },
  ],
  exports: [API_KEY_LOOKUP, ApiKeyRepository, ApiKeyUsageRecorder],
})
export class ApiKeyLookupModule {}
