import { expect, it } from 'vitest';
import type { DbRow } from './tenancy-db.port.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';
import type { ContractContext } from './tenancy-db-contract.js';

/** Values outside what the port can send alike on every driver (registered inside its describe). */
export function unsendableValueCases(ctx: ContractContext): void {
  it('refuses an invalid Date or a NaN or infinite number in a row, a patch, a filter or an argument, writing nothing', async () => {
    const refused = { name: 'TenancyDbError', code: TenancyDbErrorCode.QueryFailed };
    const invalidDate = new Date('not a date');
    const id = 9001;
    // supabase-js's JSON sent each of these as null: a row or a patch wrote NULL, an RPC ran with it.
    for (const bad of [{ at: invalidDate }, { amount: Number.NaN }, { amount: Number.POSITIVE_INFINITY }]) {
      await expect(ctx.db.insert('contract_types', [{ id, ...bad } as DbRow])).rejects.toMatchObject(refused);
    }
    expect(await ctx.db.select('contract_types', { id })).toEqual([]);
    await ctx.db.insert('contract_types', [{ id, amount: 1, at: new Date('2024-05-01T00:00:00Z') }]);
    await expect(ctx.db.update('contract_types', { id }, { amount: Number.NaN })).rejects.toMatchObject(
      refused,
    );
    await expect(ctx.db.update('contract_types', { id }, { at: invalidDate })).rejects.toMatchObject(refused);
    await expect(ctx.db.upsert('contract_types', [{ id, amount: Number.NaN }], ['id'])).rejects.toMatchObject(
      refused,
    );
    expect(await ctx.db.select('contract_types', { id }, { columns: ['amount', 'at'] })).toEqual([
      { amount: 1, at: '2024-05-01T00:00:00+00:00' },
    ]);
    // supabase's filter threw a bare RangeError.
    await expect(ctx.db.select('contract_types', { at: invalidDate })).rejects.toMatchObject(refused);
    await expect(ctx.db.select('contract_types', { at: { in: [invalidDate] } })).rejects.toMatchObject(
      refused,
    );
    await expect(ctx.db.delete('contract_types', { amount: Number.NaN })).rejects.toMatchObject(refused);
    await expect(ctx.db.rpc('contract_add', { p_a: Number.NaN, p_b: 1 })).rejects.toMatchObject(refused);
  });
}

/** Values whose driver defaults differ from PostgREST's JSON (registered inside its describe). */
export function renderedValueCases(ctx: ContractContext): void {
  it('returns non-finite numerics and floats, and intervals, as PostgREST renders them', async () => {
    await ctx.h.exec(`
CREATE OR REPLACE FUNCTION contract_rendered_values()
RETURNS TABLE (n numeric, ni numeric, f float8, f4 float4, ff float8, big int8, span interval, spans interval[], ns numeric[])
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'NaN'::numeric, '-Infinity'::numeric, 'Infinity'::float8, 'NaN'::float4, 0.1::float8,
         9007199254740991::int8, interval '1 day 02:03:04.5', ARRAY[interval '1 hour', interval '-5 days'],
         ARRAY['NaN'::numeric, 1.5]
$$;`);
    // pg read an interval as an object ({ days: 1, ... }) and both SQL drivers a non-finite number
    // as NaN or Infinity (JSON has neither): PostgREST sends each as the text Postgres renders.
    expect(await ctx.db.rpc('contract_rendered_values', {})).toEqual([
      {
        n: 'NaN',
        ni: '-Infinity',
        f: 'Infinity',
        f4: 'NaN',
        ff: 0.1,
        big: 9007199254740991,
        span: '1 day 02:03:04.5',
        spans: ['01:00:00', '-5 days'],
        ns: ['NaN', 1.5],
      },
    ]);
  });
}
