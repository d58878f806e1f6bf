/** Whether the event loop took a turn (ran an immediate) before `work` settled, and its value. */
export async function turnedDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; turned: boolean }> {
  let turned = false;
  const immediate = setImmediate(() => (turned = true));
  const value = await work();
  const seen = turned;
  clearImmediate(immediate);
  return { value, turned: seen };
}
