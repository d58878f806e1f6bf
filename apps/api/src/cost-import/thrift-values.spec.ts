import { parquetMetadata } from 'hyparquet';
import { aFocusFileRow, focusParquet, parquetFooterBomb } from '#test/focus-files';
import { countThriftValues, ThriftValuesExceeded } from './thrift-values.js';

/** The Thrift footer of a Parquet file: from its start to the length and magic at its end. */
const footerOf = (file: Buffer) => file.subarray(file.length - 8 - file.readUInt32LE(file.length - 8));

describe('countThriftValues', () => {
  it('reads a real footer through to its end: every field and list element, nested ones included', () => {
    const file = focusParquet([aFocusFileRow({ BilledCost: '1' }), aFocusFileRow({ BilledCost: '2' })]);
    const footer = footerOf(file);
    const values = countThriftValues(footer, 0, Number.MAX_SAFE_INTEGER);
    // hyparquet reads the same bytes; its schema alone holds a struct per column with several fields.
    const schema = parquetMetadata(file).schema;
    expect(values).toBeGreaterThan(schema.length * 3);
    // One value fewer than it holds is refused, so the count is exact, not an estimate.
    expect(() => countThriftValues(footer, 0, values - 1)).toThrow(ThriftValuesExceeded);
    expect(countThriftValues(footer, 0, values)).toBe(values);
  });

  it('counts the empty structs a footer declares without building them', () => {
    const structs = 3_000_000;
    // The schema list's elements, and the four fields of FileMetaData.
    expect(countThriftValues(footerOf(parquetFooterBomb(structs)), 0, 10_000_000)).toBe(structs + 4);
    expect(() => countThriftValues(footerOf(parquetFooterBomb(structs)), 0, 1_000_000)).toThrow(
      ThriftValuesExceeded,
    );
  });

  it('throws a RangeError for data that ends inside a struct, as the decoder does', () => {
    const footer = footerOf(parquetFooterBomb(10));
    expect(() => countThriftValues(footer.subarray(0, 8), 0, 100)).toThrow(RangeError);
    expect(() =>
      parquetMetadata(Buffer.concat([Buffer.from('PAR1'), footer.subarray(0, 8), footer.subarray(-8)])),
    ).toThrow();
  });
});
