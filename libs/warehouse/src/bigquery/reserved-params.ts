import { RESERVED } from '../duckdb/sql-keywords.js';
import { tokenize } from '../duckdb/sql-tokenizer.js';

/** A parameter reference whose name may be a reserved keyword (checked exactly by the tokenizer). */
const MAYBE_RESERVED = new RegExp(`@(?:${[...RESERVED].join('|')})\\b`, 'i');

/**
 * The statement with every named parameter whose name is a reserved keyword of BigQuery's
 * (`@from`, `@to`, `@hash`, `@limit`, `@at`) written as `@\`name\``. BigQuery parses the name
 * after `@` as an identifier, so an unquoted reserved keyword there is a syntax error
 * ("Syntax error: Unexpected keyword FROM": https://github.com/googleapis/google-cloud-node/issues/2648),
 * while a quoted one names the same parameter. Repositories write `@from` as the embedded
 * warehouse takes it; only the text sent to BigQuery changes. Strings and comments are left alone.
 */
export function quoteReservedParams(sql: string): string {
  if (!MAYBE_RESERVED.test(sql)) return sql;
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    // Not SQL the tokenizer reads: sent as written, for BigQuery to judge.
    return sql;
  }
  let out = sql;
  for (const token of [...tokens].reverse()) {
    if (token.kind !== 'param' || !RESERVED.has(token.value.toUpperCase())) continue;
    out = `${out.slice(0, token.pos)}@\`${token.value}\`${out.slice(token.pos + token.text.length)}`;
  }
  return out;
}
