import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { HttpMetrics } from '../http/http-metrics.js';
import { NativeMemoryGc } from './native-memory-gc.js';

const MiB = 1024 * 1024;

/** The instance's NativeMemoryGc (NATIVE_MEMORY_GC_MB; 0 turns it off), counted in /metrics. */
@Injectable()
export class NativeMemoryCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NativeMemory');
  readonly gc: NativeMemoryGc | null;

  constructor(config: AppConfig, metrics: HttpMetrics) {
    const mb = config.env.NATIVE_MEMORY_GC_MB;
    if (mb === 0) {
      this.gc = null;
      return;
    }
    const collections = new Counter({
      name: 'native_memory_collections_total',
      help: 'Full V8 collections run because resident memory grew by NATIVE_MEMORY_GC_MB (native memory of frames V8 does not count)',
      registers: [metrics.registry],
    });
    const seconds = new Counter({
      name: 'native_memory_collection_seconds_total',
      help: 'Time spent in the collections of native_memory_collections_total (the event loop waits meanwhile)',
      registers: [metrics.registry],
    });
    this.gc = new NativeMemoryGc({
      thresholdBytes: mb * MiB,
      onCollect: (took) => {
        collections.inc();
        seconds.inc(took);
      },
      onSettled: (before, after) =>
        this.logger.debug(
          `Resident memory ${Math.round(before / MiB)} MiB grew by ${mb} MiB: collected, ${Math.round(after / MiB)} MiB after`,
        ),
    });
  }

  onApplicationBootstrap(): void {
    this.gc?.start();
  }

  onApplicationShutdown(): void {
    this.gc?.stop();
  }
}
