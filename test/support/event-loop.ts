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
