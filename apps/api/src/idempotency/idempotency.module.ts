import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyResponseRecorder } from './idempotency-response.recorder.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Idempotency-Key support for any route marked @Idempotent() (the interceptor is global). Other
 * modules import this one for IdempotencyService.deleteForOrg (offboarding).
 */
@Module({
  providers: [
    IdempotencyRepository,
    IdempotencyService,
    IdempotencyResponseRecorder,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
