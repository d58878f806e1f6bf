/** Frame loads running at once on an instance, by default (COST_FRAME_LOADS_MAX). */
export const DEFAULT_FRAME_LOADS_MAX = 4;

/**
 * The frame loads one instance runs at once. Every load holds the warehouse's answer and the frame
 * it becomes in memory until it is done, so a burst of reads of distinct periods (a dashboard
 * opening a dozen charts, many orgs at the start of a day) would otherwise hold them all at once:
 * on BigQuery, as many Storage Read streams as reads (the embedded warehouse queues them behind its
 * few connections anyway).
 *
 * At most `max` loads run, at most `perOrg` of them for one org, so that one org's burst of slow
 * loads leaves a slot to the others; a freed slot goes to the orgs waiting in turn (round robin),
 * each org's loads in the order they asked. Nothing waits while a slot it may take is free.
 */
export class LoadSlots {
  private running = 0;
  private readonly runningByOrg = new Map<string, number>();
  /** Waiting loads by org; the map's order is the orgs' turn. */
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    readonly max: number,
    /** By default all but one of them (one org's slow loads never make the others wait for them all). */
    readonly perOrg = Math.max(1, max - 1),
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    if (!Number.isInteger(perOrg) || perOrg < 1 || perOrg > max)
      throw new RangeError(`perOrg must be an integer from 1 to max (${max}), got ${perOrg}`);
  }

  /** Runs `task` in one of the slots `org` may take, once there is one; it is told whether it waited. */
  async run<T>(org: string, task: (waited: boolean) => Promise<T>): Promise<T> {
    const waited = !this.free(org);
    if (waited) await new Promise<void>((start) => this.enqueue(org, start));
    else this.take(org);
    try {
      return await task(waited);
    } finally {
      this.release(org);
    }
  }

  /** Loads running and waiting, on the whole instance. */
  get counts(): { running: number; waiting: number } {
    let waiting = 0;
    for (const queue of this.waiting.values()) waiting += queue.length;
    return { running: this.running, waiting };
  }

  private free(org: string): boolean {
    // Behind the org's own waiting loads, so they keep their order.
    return (
      this.running < this.max && (this.runningByOrg.get(org) ?? 0) < this.perOrg && !this.waiting.has(org)
    );
  }

  private take(org: string): void {
    this.running++;
    this.runningByOrg.set(org, (this.runningByOrg.get(org) ?? 0) + 1);
  }

  private enqueue(org: string, start: () => void): void {
    const queue = this.waiting.get(org);
    if (queue) queue.push(start);
    else this.waiting.set(org, [start]);
  }

  private release(org: string): void {
    this.running--;
    const left = (this.runningByOrg.get(org) ?? 1) - 1;
    if (left === 0) this.runningByOrg.delete(org);
    else this.runningByOrg.set(org, left);
    this.startNext();
  }

  /** Gives the free slot to the first org in turn that may run one more; it then goes last. */
  private startNext(): void {
    if (this.running >= this.max) return;
    for (const [org, queue] of this.waiting) {
      if ((this.runningByOrg.get(org) ?? 0) >= this.perOrg) continue;
      const start = queue.shift()!;
      this.waiting.delete(org);
      if (queue.length) this.waiting.set(org, queue);
      this.take(org);
      start();
      return;
    }
  }
}

/**
 * The frame loads under way on the instance: one per frame key (concurrent misses of a frame share
 * its load), each run in a load slot of its org's (LoadSlots).
 */
export class FrameLoads<F> {
  private readonly byKey = new Map<string, { loading: Promise<F>; started: () => boolean }>();
  private readonly slots: LoadSlots;

  /** `onWait` is told of each load that waited for a slot before it started. */
  constructor(
    private readonly onWait: (org: string) => void,
    max = DEFAULT_FRAME_LOADS_MAX,
  ) {
    this.slots = new LoadSlots(max);
  }

  /** The load of `key` under way, if any. */
  get(key: string): Promise<F> | undefined {
    return this.byKey.get(key)?.loading;
  }

  /**
   * Loads `key` of `org` once a slot is free (`load` is told whether it waited for one); reads of
   * the key share the load until it ends.
   */
  async run(org: string, key: string, load: (waited: boolean) => Promise<F>): Promise<F> {
    let started = false;
    const loading = this.slots.run(org, (waited) => {
      started = true;
      if (waited) this.onWait(org);
      return load(waited);
    });
    const entry = { loading, started: () => started };
    this.byKey.set(key, entry);
    try {
      return await entry.loading;
    } finally {
      if (this.byKey.get(key) === entry) this.byKey.delete(key);
    }
  }

  /** Keys of the loads under way. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * Forgets the loads of matching keys that have started (they go on for the reads that wait for
   * them): later reads start their own. A load still waiting for its slot is kept: its query comes
   * after this, so later reads share it rather than query again.
   */
  forget(match: (key: string) => boolean): void {
    for (const [key, entry] of [...this.byKey]) if (entry.started() && match(key)) this.byKey.delete(key);
  }
}
