import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Flipped when shutdown starts, so /health/live answers 503 while in-flight requests finish. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  shuttingDown = false;

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }
}
