import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';
import { renameReservedParams } from './reserved-params.js';

describe('parameters named by reserved keywords on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('sends @from, @to, @hash, @limit and @at renamed, which BigQuery otherwise refuses as a syntax error', async () => {
    const sent: string[] = [];
    const names: string[][] = [];
    bq.fake.onQuery((req) => {
      sent.push(req.sql);
      names.push(Object.keys(req.params));
      return bq.fake.result([{ name: 'n', type: 'INTEGER' }], [[1]]);
    });
    const sql =
      'SELECT 1 AS n FROM `acme.t` WHERE h = @hash AND at >= @from AND at < @to AND x = @at LIMIT @limit';
    const rows = await bq.wh.query(sql, {
      hash: 'h',
      from: new Date('2025-01-01T00:00:00Z'),
      to: new Date('2025-02-01T00:00:00Z'),
      at: 'a',
      limit: 5,
    });
    expect(rows).toEqual([{ n: 1 }]);
    expect(sent).toEqual([
      'SELECT 1 AS n FROM `acme.t` WHERE h = @hash_kw AND at >= @from_kw AND at < @to_kw AND x = @at_kw LIMIT @limit_kw',
    ]);
    expect(names).toEqual([['hash_kw', 'from_kw', 'to_kw', 'at_kw', 'limit_kw']]);
    expect(await bq.wh.execute('UPDATE `acme.t` SET x = 1 WHERE at >= @from', { from: 1 })).toBe(0);
  });

  it('leaves other parameters, system variables, strings and comments as written', () => {
    const sql =
      'SELECT @from_ts, @@project_id, \'mail @from here\', "@to" -- @limit\n, @org /* @hash */ FROM t WHERE a = @From';
    expect(renameReservedParams(sql, [{ name: 'from_ts' }, { name: 'org' }, { name: 'From' }])).toEqual({
      sql: 'SELECT @from_ts, @@project_id, \'mail @from here\', "@to" -- @limit\n, @org /* @hash */ FROM t WHERE a = @From_kw',
      params: [{ name: 'from_ts' }, { name: 'org' }, { name: 'From_kw' }],
    });
    expect(renameReservedParams('SELECT @org', [{ name: 'org' }])).toEqual({
      sql: 'SELECT @org',
      params: [{ name: 'org' }],
    });
  });
});
