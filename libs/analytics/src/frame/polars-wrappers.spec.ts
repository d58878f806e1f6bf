import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import pl from 'nodejs-polars';

// nodejs-polars wraps every Expr, Series, DataFrame and LazyDataFrame it returns in an object
// literal of some 300 closures. As published, each literal names a computed key (a symbol) near
// its top, and V8 then defines every member after it one by one at run time: 0.6 ms for each
// `pl.col(...)`, `.sum()` or `getColumn`, tens of milliseconds of every aggregation
// (pola-rs/nodejs-polars#265). configs/patches moves those members after the literal; `npm ci`
// applies it (patch-package, package.json's postinstall).

const require = createRequire(import.meta.url);
const bin = (path: string) => require(`nodejs-polars/bin/${path}`) as Record<string, unknown>;

/** A member with a computed key (`[key]() {`, `*[key]() {`, `get [key]() {`) written in a literal. */
const COMPUTED_MEMBER = /^\s*(?:\*|get |set )?\[[^\]]+\]\s*\(\)\s*\{/m;

describe('nodejs-polars wrappers (configs/patches)', () => {
  it.each([
    ['lazy/expr/index.js', '_Expr'],
    ['series/index.js', '_Series'],
    ['dataframe.js', '_DataFrame'],
    ['lazy/dataframe.js', '_LazyDataFrame'],
  ])('%s builds %s without a computed key inside its literal', (path, name) => {
    const wrapper = bin(path)[name];
    expect(typeof wrapper).toBe('function');
    expect(String(wrapper)).not.toMatch(COMPUTED_MEMBER);
  });

  it('keeps the members it moved: type tags, inspection, iteration', () => {
    const df = pl.DataFrame({ a: [1, 2, 3], b: ['x', 'y', 'z'] });
    const a = df.getColumn('a');
    const expr = pl.col('a').sum();

    expect(pl.Expr.isExpr(expr)).toBe(true);
    expect(pl.Series.isSeries(a)).toBe(true);
    expect(pl.DataFrame.isDataFrame(df)).toBe(true);
    expect(pl.LazyDataFrame.isLazyDataFrame(df.lazy())).toBe(true);
    expect(Object.prototype.toString.call(df)).toBe('[object DataFrame]');
    expect(Object.prototype.toString.call(df.lazy())).toBe('[object LazyDataFrame]');

    expect(inspect(expr)).toBe(String(expr));
    expect(inspect(a)).toBe(String(a));
    expect(inspect(df)).toBe(String(df));
    expect(inspect(df.lazy())).toContain('DF ["a", "b"]');

    expect([...a]).toEqual([1, 2, 3]);
    expect([...df].map((s) => s.name)).toEqual(['a', 'b']);
    expect(df.select(expr).toRecords()).toEqual([{ a: 6 }]);
  });
});
