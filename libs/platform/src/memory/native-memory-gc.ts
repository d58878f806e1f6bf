import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's full collection: `--expose-gc`'s `gc` when the process was started with it, else exposed now. */
export function exposedGc(): () => void {
  const given = (globalThis as { gc?: () => void }).gc;
  if (given) return given;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

export interface NativeMemoryGcOptions {
  /** Growth of the resident memory since the last collection (or its lowest since) that starts one. */
  thresholdBytes: number;
  /** How often the resident memory is read. Default 1 s. */
  intervalMs?: number;
  /**
   * How long after a collection the resident memory is read again as the new floor: native memory
   * is released by finalizers that run after the collection, not during it. Default 250 ms.
   */
  settleMs?: number;
  rss?: () => number;
  gc?: () => void;
  /** Told of each collection as it ends: how long it took, in seconds. */
  onCollect?: (seconds: number) => void;
  /** Told once a collection's memory settled: the resident memory before it and after. */
  onSettled?: (before: number, after: number) => void;
}

/**
 * Runs V8's full collection when the process's resident memory has grown by `thresholdBytes`
 * since the last one settled (or since its lowest reading after that). A Polars frame holds its
 * columns outside V8's heap, which V8 does not count: a frame the cache evicted, or a filtered copy
 * a request made, is freed only once V8 collects its small JavaScript object, and V8, seeing a heap
 * of a hundred MB that hardly grows, may not for minutes. Forty listings of distinct 90-day periods of a million-row org took an instance from
 * 0.5 to 4 GB that way, and kept it there (memory freed late is kept by the allocator for reuse).
 * A full collection of the API's heap (~100 MB) takes 50-200 ms (more on a loaded machine), and
 * comes only after hundreds of MB of native allocations (frame loads, which take longer); cached
 * reads allocate none of it.
 */
export class NativeMemoryGc {
  private readonly rss: () => number;
  private readonly gc: () => void;
  /** The reading growth is counted from: the memory at start, then what a collection left. */
  private floor = 0;
  private settling = false;
  private timer: NodeJS.Timeout | null = null;
  private settle: NodeJS.Timeout | null = null;

  constructor(private readonly options: NativeMemoryGcOptions) {
    if (!(options.thresholdBytes > 0)) throw new RangeError('thresholdBytes must be positive');
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.gc = options.gc ?? exposedGc();
  }

  start(): void {
    if (this.timer) return;
    this.floor = this.rss();
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    this.timer = this.settle = null;
    this.settling = false;
  }

  /** One reading: a collection when the memory grew by the threshold since the floor. */
  check(): void {
    if (this.settling) return;
    const rss = this.rss();
    if (rss < this.floor) this.floor = rss;
    if (rss - this.floor < this.options.thresholdBytes) return;
    const started = performance.now();
    this.gc();
    this.options.onCollect?.((performance.now() - started) / 1000);
    this.settling = true;
    this.settle = setTimeout(() => {
      this.settle = null;
      this.settling = false;
      // What is left is live, or kept by the allocator for reuse: growth is counted from here.
      this.floor = this.rss();
      this.options.onSettled?.(rss, this.floor);
    }, this.options.settleMs ?? 250);
    this.settle.unref();
  }
}
