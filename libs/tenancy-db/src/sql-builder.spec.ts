import { buildDelete, buildInsert, buildRpc, buildSelect, buildUpdate, buildUpsert } from './sql-builder.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

describe('sql-builder', () => {
  it('builds a select with equality, membership and null filters, order and paging as parameters', () => {
    expect(
      buildSelect(
        'organizations',
        { plan: 'SCALE', org_slug: { in: ['a', 'b'] }, seat_limit: null },
        {
          columns: ['org_slug', 'plan'],
          orderBy: [{ column: 'org_slug' }, { column: 'plan', ascending: false }],
          limit: 10,
          offset: 20,
        },
      ),
    ).toEqual({
      text:
        'SELECT "org_slug", "plan" FROM "organizations" WHERE "plan" = $1 AND "org_slug" = ANY($2) AND "seat_limit" IS NULL' +
        ' ORDER BY "org_slug" ASC, "plan" DESC LIMIT $3 OFFSET $4',
      values: ['SCALE', ['a', 'b'], 10, 20],
    });
  });

  it('sends Dates as ISO timestamps and objects or arrays as JSON text', () => {
    const at = new Date('2024-05-01T10:00:00.123Z');
    expect(buildInsert('t', [{ at, data: { a: [1] }, list: ['x'] }]).values).toEqual([
      '2024-05-01T10:00:00.123Z',
      '{"a":[1]}',
      '["x"]',
    ]);
    expect(buildSelect('t', { at: { in: [at] } }).values).toEqual([['2024-05-01T10:00:00.123Z']]);
  });

  it('inserts several rows with DEFAULT for the keys a row lacks', () => {
    expect(
      buildInsert('organizations', [
        { org_slug: 'a', plan: 'SCALE' },
        { org_slug: 'b', seat_limit: undefined },
      ]),
    ).toEqual({
      text: 'INSERT INTO "organizations" ("org_slug", "plan") VALUES ($1, $2), ($3, DEFAULT) RETURNING *',
      values: ['a', 'SCALE', 'b'],
    });
    expect(buildInsert('organizations', [{}]).text).toBe(
      'INSERT INTO "organizations" DEFAULT VALUES RETURNING *',
    );
  });

  it('upserts by overwriting every supplied column from EXCLUDED', () => {
    expect(buildUpsert('organizations', [{ org_slug: 'a', plan: 'SCALE' }], ['org_slug']).text).toBe(
      'INSERT INTO "organizations" ("org_slug", "plan") VALUES ($1, $2) ON CONFLICT ("org_slug")' +
        ' DO UPDATE SET "org_slug" = EXCLUDED."org_slug", "plan" = EXCLUDED."plan" RETURNING *',
    );
  });

  it('numbers update parameters after the SET values and returns the rows', () => {
    expect(buildUpdate('organizations', { org_slug: 'a' }, { seat_limit: 3 })).toEqual({
      text: 'UPDATE "organizations" SET "seat_limit" = $1 WHERE "org_slug" = $2 RETURNING *',
      values: [3, 'a'],
    });
    expect(buildDelete('organizations', { id: { in: [] } })).toEqual({
      text: 'DELETE FROM "organizations" WHERE "id" = ANY($1) RETURNING *',
      values: [[]],
    });
  });

  it('calls a function with named arguments, skipping undefined ones, as a reusable statement', () => {
    expect(
      buildRpc('reserve_run', { p_org: 'acme', p_at: null, p_skip: undefined as unknown as null }),
    ).toEqual({
      text: 'SELECT * FROM "reserve_run"("p_org" => $1, "p_at" => $2)',
      values: ['acme', null],
      reusable: true,
    });
  });

  it.each([
    ['a table name with a quote', () => buildSelect('org"s')],
    ['an upper-case column', () => buildSelect('t', { Plan: 'x' })],
    ['a 64-character name', () => buildSelect('a'.repeat(64))],
    ['an undefined filter value', () => buildDelete('t', { id: undefined as unknown as null })],
    ['an update without a filter', () => buildUpdate('t', {}, { a: 1 })],
    ['a delete without a filter', () => buildDelete('t', {})],
    ['an empty patch', () => buildUpdate('t', { id: 1 }, {})],
    ['a negative limit', () => buildSelect('t', {}, { limit: -1 })],
    ['an upsert without conflict columns', () => buildUpsert('t', [{ a: 1 }], [])],
  ])('refuses %s', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: TenancyDbErrorCode.QueryFailed }));
  });
});
