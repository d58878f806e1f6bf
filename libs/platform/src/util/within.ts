/**
 * `work`, or the error `timedOut` makes when it has not settled within `ms`; the timer is cleared
 * either way. The work itself is not stopped: a caller that can cancel it does so on that error.
 */
export async function within<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
