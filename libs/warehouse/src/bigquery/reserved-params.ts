import { RESERVED } from '../duckdb/sql-keywords.js';
import { tokenize } from '../duckdb/sql-tokenizer.js';

/** A parameter reference whose name may be a reserved keyword (checked exactly by the tokenizer). */
const MAYBE_RESERVED = new RegExp(`@(?:${[...RESERVED].join('|')})\\b`, 'i');

/** Appended to a parameter named by a reserved keyword: `@from` reaches BigQuery as `@from_kw`. */
export const RESERVED_PARAM_SUFFIX = '_kw';

const isReserved = (name: string) => RESERVED.has(name.toUpperCase());

/**
 * The statement and its parameters with every parameter whose name is a reserved keyword of
 * BigQuery's (`@from`, `@to`, `@hash`, `@limit`, `@at`) renamed with RESERVED_PARAM_SUFFIX, in
 * the text and in the parameter list alike. BigQuery parses the name after `@` as an identifier,
 * so an unquoted reserved keyword there is a syntax error ("Syntax error: Unexpected keyword
 * FROM": https://github.com/googleapis/google-cloud-node/issues/2648); a plain name is the one
 * form every GoogleSQL parser takes. Repositories write `@from` as the embedded warehouse takes
 * it; only what is sent to BigQuery changes. Strings and comments are left alone.
 */
export function renameReservedParams<P extends { name?: string }>(
  sql: string,
  params: readonly P[],
): { sql: string; params: P[] } {
  if (!MAYBE_RESERVED.test(sql)) return { sql, params: [...params] };
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    // Not SQL the tokenizer reads: sent as written, for BigQuery to judge.
    return { sql, params: [...params] };
  }
  let out = sql;
  for (const token of [...tokens].reverse()) {
    if (token.kind !== 'param' || !isReserved(token.value)) continue;
    out = `${out.slice(0, token.pos)}@${token.value}${RESERVED_PARAM_SUFFIX}${out.slice(token.pos + token.text.length)}`;
  }
  return {
    sql: out,
    params: params.map((p) =>
      p.name !== undefined && isReserved(p.name) ? { ...p, name: `${p.name}${RESERVED_PARAM_SUFFIX}` } : p,
    ),
  };
}
