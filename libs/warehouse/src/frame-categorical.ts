import pl from 'nodejs-polars';

/** Casts the named text columns of a frame to Categorical (see `FrameOptions.categorical`). */
export function withCategorical(frame: pl.DataFrame, names: readonly string[]): pl.DataFrame {
  const casts = names
    .filter((name) => frame.columns.includes(name) && frame.getColumn(name).dtype.equals(pl.String))
    .map((name) => pl.col(name).cast(pl.Categorical));
  return casts.length > 0 ? frame.withColumns(...casts) : frame;
}
