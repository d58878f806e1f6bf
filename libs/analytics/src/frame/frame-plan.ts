import pl from 'nodejs-polars';

/**
 * Work on a frame written once as a generator that yields each lazy plan it needs run and is handed
 * back the plan's frame: run with `collect()` (runPlan) each plan runs in Polars' thread pool, and
 * the event loop, every tenant's requests, goes on meanwhile; `runPlanSync` runs them in place
 * (specs' fixtures). What the generator does between two plans runs on the main thread: keep it to
 * a few rows.
 */
export type FramePlan<T> = Generator<pl.LazyDataFrame, T, pl.DataFrame>;

/** The plan's result, each lazy frame it yields collected in Polars' thread pool. */
export async function runPlan<T>(plan: FramePlan<T>): Promise<T> {
  let step = plan.next();
  while (!step.done) step = plan.next(await step.value.collect());
  return step.value;
}

/** The plan's result, each lazy frame it yields collected on this thread. */
export function runPlanSync<T>(plan: FramePlan<T>): T {
  let step = plan.next();
  while (!step.done) step = plan.next(step.value.collectSync());
  return step.value;
}

/**
 * The lazy frame with one chunk per column once collected: nodejs-polars 0.24 has no rechunk on a
 * lazy frame or an expression, but a vertical concat rechunks its result (here with no rows added).
 */
export function rechunked(lf: pl.LazyDataFrame): pl.LazyDataFrame {
  return pl.concat([lf, lf.limit(0)], { rechunk: true, how: 'vertical', parallel: true });
}
