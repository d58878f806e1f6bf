import type pg from 'pg';
import { fail, qi } from './postgrest-query.js';
import type { Answer, Req } from './postgrest-server.js';
import { asRole, catalogQuery } from './postgrest-session.js';

/**
 * The stand-in's function calls (`POST /rpc/{fn}`): the function chosen by the arguments named, as
 * PostgREST's schema cache does, called with them, and its answer rendered as PostgREST does.
 */
interface FunctionRow {
  retset: boolean;
  /** 'v' volatile, 's' stable, 'i' immutable. */
  volatility: string;
  typtype: string;
  rettype: string;
  names: string[];
  modes: string[];
  types: string[];
  ndefaults: number;
}

type FunctionInfo = FunctionRow & { inputs: { name: string; type: string }[] };

async function findFunction(
  pool: pg.Pool,
  schema: string,
  fn: string,
  args: Record<string, unknown>,
): Promise<FunctionInfo> {
  const rows = await catalogQuery<FunctionRow>(
    pool,
    `SELECT p.proretset AS retset, p.provolatile::text AS volatility, t.typtype::text AS typtype, p.prorettype::regtype::text AS rettype,
       coalesce(p.proargnames, '{}') AS names, coalesce(p.proargmodes::text[], '{}') AS modes,
       array(SELECT format_type(x, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY u(x, i) ORDER BY i) AS types,
       p.pronargdefaults::int AS ndefaults
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_type t ON t.oid = p.prorettype
     WHERE n.nspname = $1 AND p.proname = $2`,
    [schema, fn],
  );
  const given = Object.keys(args);
  const candidates = rows
    .map((r) => {
      const names = r.modes.length ? r.names.filter((_, i) => ['i', 'b', 'v'].includes(r.modes[i])) : r.names;
      return { ...r, inputs: r.types.map((type, i) => ({ name: names[i] ?? '', type })) };
    })
    .filter((r) => {
      const required = r.inputs.slice(0, r.inputs.length - r.ndefaults).map((a) => a.name);
      return (
        given.every((g) => r.inputs.some((a) => a.name === g)) && required.every((q) => given.includes(q))
      );
    });
  if (candidates.length === 0) {
    throw fail(
      404,
      'PGRST202',
      `Could not find the function ${schema}.${fn}(${given.join(', ')}) in the schema cache`,
    );
  }
  if (candidates.length > 1)
    throw fail(300, 'PGRST203', `Could not choose the best candidate function ${schema}.${fn}`);
  return candidates[0];
}

export async function rpcRequest(r: Req, fn: string): Promise<Answer> {
  const { pool, schema, params } = r;
  const args = (r.body ?? {}) as Record<string, unknown>;
  const info = await findFunction(pool, schema, fn, args);
  const named = info.inputs
    .filter((a) => a.name in args)
    .map((a) => {
      const v = args[a.name];
      const value =
        v === null || (Array.isArray(v) && a.type.endsWith('[]'))
          ? v
          : typeof v === 'object'
            ? JSON.stringify(v)
            : v;
      return `${qi(a.name)} => ${params.add(value)}::${a.type}`;
    });
  const call = `${qi(schema)}.${qi(fn)}(${named.join(', ')})`;
  // PostgREST runs a STABLE or IMMUTABLE function in a read-only transaction, even on POST.
  const run = async (sql: string) =>
    (
      await asRole(pool, r.role, info.volatility !== 'v', (c) =>
        c.query<{ body: string | null }>(sql, params.values),
      )
    ).rows;
  if (info.rettype === 'void') {
    await run(`SELECT ${call}`);
    return [204, '', {}];
  }
  const composite = info.typtype === 'c' || info.rettype === 'record';
  // db-max-rows caps what a set-returning function answers too, and nothing says so. The capped
  // rows keep their shape: an object for a row of a composite, a bare value for a scalar.
  const sql = !info.retset
    ? composite
      ? `SELECT to_json(_pgrst_r)::text AS body FROM ${call} _pgrst_r`
      : `SELECT to_json(${call})::text AS body`
    : `SELECT coalesce(json_agg(_pgrst_s._pgrst_r), '[]')::text AS body
       FROM (SELECT _pgrst_r FROM ${call} _pgrst_r${r.maxRows === undefined ? '' : ` LIMIT ${params.add(r.maxRows)}`}) _pgrst_s`;
  const rows = await run(sql);
  return [200, rows[0]?.body ?? 'null', {}];
}
