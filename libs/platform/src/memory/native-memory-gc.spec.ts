import { exposedGc, NativeMemoryGc } from './native-memory-gc.js';

const MiB = 1024 * 1024;

describe('NativeMemoryGc', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A process whose resident memory the test sets, and whose collections free `freed` bytes. */
  function aProcess(start = 500 * MiB) {
    const state = { rss: start, freed: 0, collections: 0 };
    const collected: [number, number][] = [];
    const took: number[] = [];
    const gc = new NativeMemoryGc({
      thresholdBytes: 256 * MiB,
      rss: () => state.rss,
      gc: () => {
        state.collections++;
        // Finalizers release the native memory after the collection itself.
        setTimeout(() => (state.rss -= state.freed), 10);
      },
      onCollect: (seconds) => took.push(seconds),
      onSettled: (before, after) => collected.push([before / MiB, after / MiB]),
    });
    return { state, gc, collected, took };
  }

  it('collects once the resident memory grew by the threshold, and counts growth from what is left', async () => {
    const { state, gc, collected, took } = aProcess();
    gc.start();
    state.rss += 255 * MiB;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(state.collections).toBe(0);
    state.rss += 1 * MiB;
    state.freed = 600 * MiB;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.collections).toBe(1);
    // Told as it ends (a stop before its memory settles still counts it), then once settled.
    expect(took).toEqual([expect.any(Number)]);
    expect(collected).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collected).toEqual([[756, 156]]);
    // The floor is now 156 MiB: 256 more start the next collection, not 600.
    state.freed = 0;
    state.rss = 411 * MiB;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.collections).toBe(1);
    state.rss = 412 * MiB;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(state.collections).toBe(2);
    gc.stop();
  });

  it('takes the memory as it falls as the floor, and reads nothing while a collection settles', async () => {
    const { state, gc, collected } = aProcess();
    gc.start();
    state.rss = 300 * MiB;
    await vi.advanceTimersByTimeAsync(1_000);
    state.rss = 556 * MiB;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.collections).toBe(1);
    // Still high right after it: no second collection before the first one's memory is measured.
    gc.check();
    expect(state.collections).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collected).toEqual([[556, 556]]);
    gc.stop();
  });

  it('stops reading when stopped, and refuses a threshold that is not positive', async () => {
    const { state, gc } = aProcess();
    gc.start();
    gc.stop();
    state.rss += 10_000 * MiB;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.collections).toBe(0);
    expect(() => new NativeMemoryGc({ thresholdBytes: 0, rss: () => 0, gc: () => {} })).toThrow(RangeError);
  });

  it("runs V8's real full collection without --expose-gc", () => {
    vi.useRealTimers();
    const gc = exposedGc();
    let garbage: object[] | null = Array.from({ length: 300_000 }, (_, i) => ({ i }));
    const before = process.memoryUsage().heapUsed;
    expect(garbage.length).toBe(300_000);
    garbage = null;
    gc();
    expect(garbage).toBeNull();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 5 * MiB);
  });
});
