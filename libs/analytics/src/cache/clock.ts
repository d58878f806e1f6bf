/** Where the analytics read the time: tests move a fake one across midnight. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
