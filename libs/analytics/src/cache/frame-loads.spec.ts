import { FrameLoads, LoadSlots } from './frame-loads.js';

/** A task that runs until released, recording when it started. */
class Tasks {
  readonly started: string[] = [];
  private readonly gates = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  running = 0;
  peak = 0;

  task(name: string) {
    return () =>
      new Promise<string>((resolve, reject) => {
        this.started.push(name);
        this.peak = Math.max(this.peak, ++this.running);
        const done = () => this.running--;
        this.gates.set(name, {
          resolve: () => (done(), resolve(name)),
          reject: (e) => (done(), reject(e)),
        });
      });
  }

  finish(name: string, error?: Error): void {
    const gate = this.gates.get(name);
    if (!gate) throw new Error(`${name} has not started`);
    if (error) gate.reject(error);
    else gate.resolve();
  }
}

/** Lets the slots hand over freed slots (a finished task's `finally` runs a few microtasks later). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LoadSlots', () => {
  it('runs at most max tasks at once and the rest as slots free up, nothing waiting while one is free', async () => {
    const slots = new LoadSlots(2, 2);
    const tasks = new Tasks();
    const waited: boolean[] = [];
    const runs = ['a1', 'a2', 'a3', 'a4'].map((name) =>
      slots.run('org_a', (w) => (waited.push(w), tasks.task(name)())),
    );
    await settle();
    expect(tasks.started).toEqual(['a1', 'a2']);
    expect(slots.counts).toEqual({ running: 2, waiting: 2 });
    tasks.finish('a2');
    await settle();
    expect(tasks.started).toEqual(['a1', 'a2', 'a3']);
    tasks.finish('a1');
    tasks.finish('a3');
    await settle();
    tasks.finish('a4');
    expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(waited).toEqual([false, false, true, true]);
    expect(tasks.peak).toBe(2);
    expect(slots.counts).toEqual({ running: 0, waiting: 0 });
  });

  it("keeps a slot from one org's burst for the others, by default all but one", async () => {
    const slots = new LoadSlots(3);
    expect(slots.perOrg).toBe(2);
    const tasks = new Tasks();
    const runs = [
      ...['a1', 'a2', 'a3'].map((name) => slots.run('org_a', tasks.task(name))),
      slots.run('org_b', tasks.task('b1')),
    ];
    await settle();
    // org_a's third waits though a slot is free: that slot is org_b's, which starts at once.
    expect(tasks.started).toEqual(['a1', 'a2', 'b1']);
    tasks.finish('b1');
    await settle();
    expect(tasks.started).toEqual(['a1', 'a2', 'b1']);
    tasks.finish('a1');
    await settle();
    expect(tasks.started).toEqual(['a1', 'a2', 'b1', 'a3']);
    tasks.finish('a2');
    tasks.finish('a3');
    await Promise.all(runs);
  });

  it('gives freed slots to the waiting orgs in turn, each org in the order it asked', async () => {
    const slots = new LoadSlots(1);
    const tasks = new Tasks();
    const runs = [
      slots.run('org_a', tasks.task('a1')),
      slots.run('org_a', tasks.task('a2')),
      slots.run('org_a', tasks.task('a3')),
      slots.run('org_b', tasks.task('b1')),
      slots.run('org_b', tasks.task('b2')),
      slots.run('org_c', tasks.task('c1')),
    ];
    for (const name of ['a1', 'a2', 'b1', 'c1', 'a3', 'b2']) {
      await settle();
      expect(tasks.started.at(-1)).toBe(name);
      expect(tasks.running).toBe(1);
      tasks.finish(name);
    }
    await Promise.all(runs);
    expect(tasks.started).toEqual(['a1', 'a2', 'b1', 'c1', 'a3', 'b2']);
  });

  it('frees the slot of a task that fails or throws at once', async () => {
    const slots = new LoadSlots(1);
    const tasks = new Tasks();
    const failing = slots.run('org_a', tasks.task('a1'));
    const throwing = slots.run('org_a', () => {
      throw new Error('not even started');
    });
    const next = slots.run('org_a', tasks.task('a2'));
    await settle();
    tasks.finish('a1', new Error('warehouse down'));
    await expect(failing).rejects.toThrow('warehouse down');
    await expect(throwing).rejects.toThrow('not even started');
    await settle();
    tasks.finish('a2');
    expect(await next).toBe('a2');
    expect(slots.counts).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses bounds that are not positive integers, or a share of one org above the whole', () => {
    expect(() => new LoadSlots(0)).toThrow(RangeError);
    expect(() => new LoadSlots(2.5)).toThrow(RangeError);
    expect(() => new LoadSlots(2, 3)).toThrow(RangeError);
    expect(new LoadSlots(1).perOrg).toBe(1);
  });
});

describe('FrameLoads', () => {
  it('shares the load of a key until it ends, and tells of each load that waited for a slot', async () => {
    const waitedOrgs: string[] = [];
    const loads = new FrameLoads<string>((org) => waitedOrgs.push(org), 1);
    const tasks = new Tasks();
    const first = loads.run('org_a', 'org_a|k1', tasks.task('k1'));
    const second = loads.run('org_a', 'org_a|k2', tasks.task('k2'));
    expect(loads.keys()).toEqual(['org_a|k1', 'org_a|k2']);
    expect(loads.get('org_a|k1')).toBeDefined();
    await settle();
    // Forgotten while it waits for its slot: kept, as its query comes after (later reads share it).
    loads.forget((key) => key.startsWith('org_a|'));
    expect(loads.get('org_a|k1')).toBeUndefined();
    expect(loads.get('org_a|k2')).toBeDefined();
    tasks.finish('k1');
    expect(await first).toBe('k1');
    expect(loads.get('org_a|k1')).toBeUndefined();
    await settle();
    expect(tasks.started).toEqual(['k1', 'k2']);
    // Forgotten once started: it still answers its own reads, later reads start their own.
    loads.forget((key) => key.startsWith('org_a|'));
    expect(loads.get('org_a|k2')).toBeUndefined();
    tasks.finish('k2');
    expect(await second).toBe('k2');
    expect(waitedOrgs).toEqual(['org_a']);
  });
});
