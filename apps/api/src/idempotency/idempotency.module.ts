import { Module } from '@nestjs/common';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyResponseRecorder } from './idempotency-response.recorder.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Idempotency-Key support for any route marked @Idempotent(): the module of such a route imports
 * this one (the decorator's interceptor is resolved there). Other modules import it for
 * IdempotencyService.deleteForOrg (offboarding).
 */
@Module({
  providers: [IdempotencyRepository, IdempotencyService, IdempotencyResponseRecorder],
  // What the interceptor @Idempotent() attaches needs, in the module of the route.
  exports: [IdempotencyService, IdempotencyResponseRecorder],
})
export class IdempotencyModule {}
