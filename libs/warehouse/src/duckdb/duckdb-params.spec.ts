import { BIGINT, DuckDBListValue, LIST, VARCHAR } from '@duckdb/node-api';
import { param } from '../sql.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { bindParams, paramCasts } from './duckdb-params.js';

describe('query parameters for DuckDB', () => {
  it('casts every placeholder except untyped strings, which must coerce like BigQuery parameters', () => {
    expect(
      paramCasts({
        text: 'aws',
        n: 3,
        x: 1.5,
        flag: false,
        at: new Date(0),
        raw: Buffer.from('a'),
        ids: [1, 2],
        mixed: [1, 2.5],
        names: ['a'],
        day: param.date('2026-01-31'),
        label: param.string(null),
        none: param.intArray([]),
        cost: param.numeric(1),
        doc: param.json({}),
      }),
    ).toEqual({
      n: 'BIGINT',
      x: 'DOUBLE',
      flag: 'BOOLEAN',
      at: 'TIMESTAMPTZ',
      raw: 'BLOB',
      ids: 'BIGINT[]',
      mixed: 'DOUBLE[]',
      names: 'VARCHAR[]',
      day: 'DATE',
      label: 'VARCHAR',
      none: 'BIGINT[]',
      cost: 'DECIMAL(38,9)',
      doc: 'JSON',
    });
  });

  it('binds only the parameters the statement uses, with explicit types', () => {
    const bound = bindParams({ n: 3, ids: param.intArray([4]), unused: 'x' }, ['n', 'ids']);

    expect(Object.keys(bound.values)).toEqual(['n', 'ids']);
    expect(bound.values.n).toBe(3n);
    expect((bound.values.ids as DuckDBListValue).items).toEqual([4n]);
    expect(bound.types).toEqual({ n: BIGINT, ids: LIST(BIGINT) });
  });

  it('sends dates, timestamps, numerics and JSON as text for the SQL cast to convert', () => {
    const bound = bindParams(
      {
        day: param.date('2026-01-31'),
        at: param.timestamp(new Date('2026-01-31T10:00:00Z')),
        cost: param.numeric(0.1),
        doc: param.json({ a: 1 }),
        none: param.date(null),
      },
      ['day', 'at', 'cost', 'doc', 'none'],
    );

    expect(bound.values).toEqual({
      day: '2026-01-31',
      at: '2026-01-31T10:00:00.000Z',
      cost: '0.1',
      doc: '{"a":1}',
      none: null,
    });
    expect(bound.types.day).toBe(VARCHAR);
  });

  it.each([
    [{ ids: [] }, 'Query parameter @ids: an empty array needs a type (param.stringArray / param.intArray)'],
    [{ ids: param.int(1.5) }, 'Query parameter @ids: number is not a valid INT64'],
    [{ other: 1 }, 'Query parameter @ids: no value was given'],
  ])('rejects %j', (params, detail) => {
    expect(() => bindParams(params, ['ids'])).toThrow(
      expect.objectContaining({ code: WarehouseErrorCode.QueryFailed, detail }),
    );
  });
});
