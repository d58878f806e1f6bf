import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';
import { quoteReservedParams } from './reserved-params.js';

describe('parameters named by reserved keywords on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('sends @from, @to, @hash, @limit and @at quoted, which BigQuery otherwise refuses as a syntax error', async () => {
    const sent: string[] = [];
    bq.fake.onQuery((req) => {
      sent.push(req.sql);
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
      'SELECT 1 AS n FROM `acme.t` WHERE h = @`hash` AND at >= @`from` AND at < @`to` AND x = @`at` LIMIT @`limit`',
    ]);
    expect(await bq.wh.execute('UPDATE `acme.t` SET x = 1 WHERE at >= @from', { from: 1 })).toBe(0);
  });

  it('leaves other parameters, system variables, strings and comments as written', () => {
    const sql =
      'SELECT @from_ts, @@project_id, \'mail @from here\', "@to" -- @limit\n, @org /* @hash */ FROM t WHERE a = @From';
    expect(quoteReservedParams(sql)).toBe(
      'SELECT @from_ts, @@project_id, \'mail @from here\', "@to" -- @limit\n, @org /* @hash */ FROM t WHERE a = @`From`',
    );
    expect(quoteReservedParams('SELECT @org')).toBe('SELECT @org');
  });
});
