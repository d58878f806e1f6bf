import fs from 'node:fs';

/** Whether the event loop took a turn (ran an immediate) before `work` settled, and its value. */
export async function turnedDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; turned: boolean }> {
  let turned = false;
  const immediate = setImmediate(() => (turned = true));
  const value = await work();
  const seen = turned;
  clearImmediate(immediate);
  return { value, turned: seen };
}

/** A stretch of time the event loop took no turn in (performance.now() times, ms). */
export interface LoopPause {
  from: number;
  to: number;
}

/**
 * The stretches of more than `minMs` the event loop took no turn in while `work` ran (between
 * the runs of a 1 ms timer, the end of `work` included), and its value.
 */
export async function pausesDuring<T>(
  work: () => Promise<T>,
  minMs = 10,
): Promise<{ value: T; pauses: LoopPause[] }> {
  const pauses: LoopPause[] = [];
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    if (now - last > minMs) pauses.push({ from: last, to: now });
    last = now;
    timer = setTimeout(tick, 1);
  };
  let timer = setTimeout(tick, 1);
  try {
    const value = await work();
    tick();
    return { value, pauses };
  } finally {
    clearTimeout(timer);
  }
}

interface Clock {
  now: () => number;
  close: () => void;
}

/**
 * A clock of Linux's schedstat of this thread, in ms, from its fields (nanoseconds on a CPU, then
 * waiting for one while runnable): `of` picks the time it counts. null where there is none.
 */
function schedstatClock(of: (onCpu: number, queued: number) => number): Clock | null {
  let fd: number;
  try {
    fd = fs.openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return null;
  }
  const buffer = Buffer.alloc(64);
  return {
    now: () => {
      const [onCpu, queued] = buffer.toString('latin1', 0, fs.readSync(fd, buffer, 0, 64, 0)).split(' ');
      return of(Number(onCpu) / 1e6, Number(queued) / 1e6);
    },
    close: () => fs.closeSync(fd),
  };
}

/**
 * A clock of the CPU time this thread has run, in ms: Linux's schedstat of the thread, else the
 * process's CPU time (every thread's: the engines' and the collector's too). Not wall time: on a
 * busy machine the time other processes take the CPUs would count too.
 */
function threadCpuClock(): Clock {
  return (
    schedstatClock((onCpu) => onCpu) ?? {
      now: () => (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      close: () => undefined,
    }
  );
}

/**
 * A clock of the time this thread was not waiting for a CPU, in ms: wall time less the time it
 * was runnable but other processes had the CPUs. Unlike threadCpuClock it counts the thread blocked
 * on others' work: a synchronous Polars collect spends a second waiting for Polars' thread pool,
 * on no CPU of its own. Wall time where there is no schedstat.
 */
function heldClock(): Clock {
  return (
    schedstatClock((_, queued) => performance.now() - queued) ?? {
      now: () => performance.now(),
      close: () => undefined,
    }
  );
}

/** The most time of `clock` that passed between two turns of the event loop while `work` ran. */
async function longestOf<T>(
  clock: Clock,
  work: () => Promise<T> | T,
): Promise<{ value: T; longestMs: number }> {
  let longestMs = 0;
  let last = clock.now();
  const turn = () => {
    const now = clock.now();
    longestMs = Math.max(longestMs, now - last);
    last = now;
  };
  const loop = () => {
    turn();
    immediate = setImmediate(loop);
  };
  let immediate = setImmediate(loop);
  try {
    const value = await work();
    turn();
    return { value, longestMs };
  } finally {
    clearImmediate(immediate);
    clock.close();
  }
}

/**
 * The most CPU time this thread spent without the event loop taking a turn (between two
 * immediates, or from the start or to the end) while `work` ran, in ms: what `work` and anything
 * else running then held every other request for at the worst, waits on I/O left out.
 */
export function longestStallDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; longestMs: number }> {
  return longestOf(threadCpuClock(), work);
}

/**
 * As longestStallDuring, with the time the thread was blocked counted too (see heldClock): for
 * work the main thread hands to other threads and waits for, such as a synchronous Polars
 * collect, which its CPU time alone shows as a few ms. Time waiting for a CPU is still left out.
 */
export function longestHoldDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; longestMs: number }> {
  return longestOf(heldClock(), work);
}

/** The CPU time this thread spends in `work`, in ms (see longestStallDuring). */
export function cpuMsOf(work: () => unknown): number {
  const clock = threadCpuClock();
  try {
    const start = clock.now();
    work();
    return clock.now() - start;
  } finally {
    clock.close();
  }
}
