import pl from 'nodejs-polars';

/**
 * The frame with `casts` applied and the named text columns cast to Categorical (see
 * `FrameOptions.categorical`), in Polars' thread pool (collect): cast in place, the casts of a
 * frame of a few hundred thousand rows held the event loop, every tenant's requests, ~0.1 s.
 */
export async function withCategorical(
  frame: pl.DataFrame,
  names: readonly string[],
  casts: readonly pl.Expr[] = [],
): Promise<pl.DataFrame> {
  const all = [
    ...casts,
    ...names
      .filter((name) => frame.columns.includes(name) && frame.getColumn(name).dtype.equals(pl.String))
      .map((name) => pl.col(name).cast(pl.Categorical)),
  ];
  return all.length > 0
    ? frame
        .lazy()
        .withColumns(...all)
        .collect()
    : frame;
}
