import { FUNCTION_RULES, SAFE_FUNCTION_RULES } from './function-rules.js';
import { translateLike } from './like-pattern.js';
import { setTargetQualifiers, translatePath } from './name-paths.js';
import {
  COLUMN_LIST_CONTEXT,
  INTERVAL_UNITS,
  KEYWORDS_BEFORE_PAREN,
  REJECTED_OPERATORS,
  REJECTED_WORDS,
  RESERVED,
  SET_OPERATORS,
  SUBSCRIPTS,
  TYPED_LITERALS,
} from './sql-keywords.js';
import { duckIdent, duckString, matchingClose, splitTopLevel, type Token } from './sql-tokenizer.js';
import { classifyStatement, type StatementKind } from './statement-kind.js';
import { type CallSite, invalidSql, unsupported } from './translation-context.js';

/** Accumulates output text, keeping a space wherever the source had one. */
class Output {
  text = '';
  pendingSpace = false;
  add(piece: string, space: boolean): void {
    if (this.text && (space || this.pendingSpace)) this.text += ' ';
    this.text += piece;
    this.pendingSpace = false;
  }
}

/**
 * Rewrites one tokenized statement. Every token is either translated, passed through (it means the
 * same in both dialects) or rejected; see bigquery-sql-translator.ts for the supported subset.
 */
export class StatementTranslator {
  readonly params = new Set<string>();
  /** Token indexes dropped from the output (qualifiers of UPDATE ... SET targets). */
  private readonly skip = new Set<number>();
  /** Words the statement needs but BigQuery lets you omit (INSERT [INTO], DELETE [FROM], MERGE [INTO]). */
  private readonly insertAfter = new Map<number, string>();
  private kind: StatementKind = 'SELECT';

  constructor(
    private readonly tokens: readonly Token[],
    private readonly casts: Readonly<Record<string, string>>,
  ) {}

  translate(): { sql: string; statement: StatementKind } {
    let end = this.tokens.length;
    while (end > 0 && this.tokens[end - 1]!.text === ';' && this.tokens[end - 1]!.kind === 'op') end--;
    if (end === 0) throw invalidSql('empty statement');
    const { kind, impliedWord } = classifyStatement(this.tokens);
    this.kind = kind;
    if (impliedWord) this.insertAfter.set(0, impliedWord);
    return { sql: this.range(0, end), statement: this.kind };
  }

  /** Translates tokens [from, to). */
  private range(from: number, to: number): string {
    const out = new Output();
    let i = from;
    while (i < to) {
      if (this.skip.has(i)) {
        out.pendingSpace ||= this.tokens[i]!.space;
        i++;
        continue;
      }
      const next = this.step(i, to, out);
      const extra = this.insertAfter.get(i);
      if (extra) out.add(extra, true);
      i = next;
    }
    return out.text;
  }

  private step(i: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    switch (t.kind) {
      case 'word':
        return this.word(i, to, out);
      case 'quoted':
        return this.path(i, to, out);
      case 'string':
        out.add(duckString(t.value), t.space);
        return i + 1;
      case 'bytes':
        out.add(`from_hex('${t.value}')`, t.space);
        return i + 1;
      case 'number':
        out.add(t.text, t.space);
        return i + 1;
      case 'param':
        out.add(this.placeholder(t.value), t.space);
        return i + 1;
      case 'sysvar':
        throw unsupported(`system variable @@${t.value}`);
      case 'op':
        return this.operator(i, to, out);
    }
  }

  private placeholder(name: string): string {
    this.params.add(name);
    const cast = this.casts[name];
    return cast ? `CAST($${name} AS ${cast})` : `$${name}`;
  }

  private operator(i: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    if (t.text === '(') {
      const close = this.close(i, to);
      out.add(`(${this.range(i + 1, close)})`, t.space);
      return close + 1;
    }
    if (t.text === '[') return this.bracket(i, to, out);
    if (t.text === ')' || t.text === ']') throw invalidSql(`unbalanced ${t.text}`);
    if (t.text === ';') throw unsupported('multiple statements');
    if (t.text === '?') throw unsupported('positional parameter ?');
    if (REJECTED_OPERATORS.has(t.text)) throw unsupported(`operator ${t.text}`);
    out.add(t.text, t.space);
    return i + 1;
  }

  private close(open: number, to: number): number {
    const close = matchingClose(this.tokens, open);
    if (close < 0 || close >= to) throw invalidSql(`unbalanced ${this.tokens[open]!.text}`);
    return close;
  }

  /** `[a, b]` array literal, or `arr[OFFSET(i)]` / `arr[ORDINAL(i)]` (DuckDB lists are 1-based). */
  private bracket(i: number, to: number, out: Output): number {
    const close = this.close(i, to);
    const prev = this.tokens[i - 1];
    const afterValue =
      prev !== undefined &&
      ((prev.kind === 'word' && !RESERVED.has(prev.value)) ||
        prev.kind === 'quoted' ||
        prev.kind === 'param' ||
        (prev.kind === 'op' && (prev.text === ')' || prev.text === ']')));
    if (!afterValue) {
      out.add(`[${this.range(i + 1, close)}]`, this.tokens[i]!.space);
      return close + 1;
    }
    const fn = this.tokens[i + 1];
    const wrapsCall =
      fn?.kind === 'word' && SUBSCRIPTS.has(fn.value) && matchingClose(this.tokens, i + 2) === close - 1;
    if (!wrapsCall) throw unsupported('array subscript without OFFSET() or ORDINAL()');
    const index = this.range(i + 3, close - 1);
    out.add(fn.value.endsWith('OFFSET') ? `[(${index}) + 1]` : `[${index}]`, this.tokens[i]!.space);
    return close + 1;
  }

  private word(i: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    const up = t.value;
    const prev = this.tokens[i - 1];
    const next = i + 1 < to ? this.tokens[i + 1] : undefined;
    const safe = up === 'SAFE' && next?.text === '.' && this.tokens[i + 3]?.text === '(';
    const safeRule = safe ? SAFE_FUNCTION_RULES.get(this.tokens[i + 2]!.value) : undefined;
    if (safeRule) {
      const close = this.close(i + 3, to);
      out.add(safeRule(this.callSite(`SAFE.${this.tokens[i + 2]!.value}`, i + 4, close)), t.space);
      return close + 1;
    }
    if (next?.text === '.' || prev?.text === '.') return this.path(i, to, out);
    const rejected = REJECTED_WORDS.get(up);
    if (rejected) throw unsupported(rejected);
    if (up === 'LIMIT') this.checkLimit(i, to);
    if (up === 'LIKE') {
      const like = translateLike(this.tokens, i, to, (a, b) => this.range(a, b));
      out.add(like.text, t.space);
      return like.next;
    }
    if (up === 'FOR' && next?.value === 'SYSTEM_TIME') throw unsupported('FOR SYSTEM_TIME AS OF');
    if ((up === 'ARRAY' || up === 'STRUCT') && next?.text === '<')
      throw unsupported(`typed ${up}<...> literal`);
    if (up === 'STRUCT') throw unsupported('STRUCT');
    if (up === 'SELECT' && next?.value === 'AS')
      throw unsupported(`SELECT AS ${this.tokens[i + 2]?.value ?? ''}`);
    if (up === 'ROW' && prev?.value === 'INSERT') throw unsupported('MERGE ... INSERT ROW');
    if ((up === 'EXCEPT' || up === 'REPLACE') && this.modifiesStar(i)) {
      out.add(up === 'EXCEPT' ? 'EXCLUDE' : 'REPLACE', t.space);
      return i + 1;
    }
    if (SET_OPERATORS.has(up) && next?.value === 'DISTINCT') {
      out.add(t.text, t.space); // DuckDB's plain UNION/INTERSECT/EXCEPT are the DISTINCT forms
      return i + 2;
    }
    if (SET_OPERATORS.has(up) && next?.value !== 'ALL') throw invalidSql(`${up} needs ALL or DISTINCT`);
    if (next?.kind === 'op' && next.text === '(') return this.call(i, to, out);
    const literal = TYPED_LITERALS[up];
    if (literal && next?.kind === 'string') {
      out.add(literal(duckString(next.value)), t.space);
      return i + 2;
    }
    if (up === 'CURRENT_TIMESTAMP' || up === 'CURRENT_DATE') {
      out.add(up, t.space);
      return i + 1;
    }
    if (up === 'INTERVAL') return this.interval(i, to, out);
    if (up === 'SET' && (this.kind === 'UPDATE' || this.kind === 'MERGE')) {
      for (const k of setTargetQualifiers(this.tokens, i, to)) this.skip.add(k);
    }
    out.add(t.text, t.space);
    return i + 1;
  }

  /**
   * BigQuery's LIMIT and OFFSET "accept only literal or parameter values" (a non-negative INT64);
   * DuckDB would also run an expression, a negative number or a subquery there.
   */
  private checkLimit(i: number, to: number): void {
    const bound = (k: number, clause: string) => {
      const value = k < to ? this.tokens[k] : undefined;
      const after = k + 1 < to ? this.tokens[k + 1] : undefined;
      const literal = value?.kind === 'number' && /^(\d+|0[xX][0-9a-fA-F]+)$/.test(value.text);
      const alone = after === undefined || after.kind === 'word' || after.text === ')' || after.text === ';';
      if (!(literal || value?.kind === 'param') || !alone)
        throw invalidSql(`${clause} takes only a non-negative integer literal or a parameter`);
    };
    bound(i + 1, 'LIMIT');
    if (this.tokens[i + 2]?.value === 'OFFSET' && i + 2 < to) bound(i + 3, 'OFFSET');
  }

  /** `* EXCEPT (...)`, `* REPLACE (...)` or `* EXCEPT (...) REPLACE (...)`. */
  private modifiesStar(i: number): boolean {
    const prev = this.tokens[i - 1];
    if (prev?.kind !== 'op') return false;
    if (prev.text === '*') return true;
    if (prev.text !== ')' || this.tokens[i]!.value !== 'REPLACE') return false;
    let depth = 0;
    for (let k = i - 1; k >= 0; k--) {
      const t = this.tokens[k]!;
      if (t.kind === 'op' && t.text === ')') depth++;
      else if (t.kind === 'op' && t.text === '(' && --depth === 0) {
        return this.tokens[k - 1]?.value === 'EXCEPT' && this.tokens[k - 2]?.text === '*';
      }
    }
    return false;
  }

  private call(i: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    const close = this.close(i + 1, to);
    if (t.value === 'UNNEST') return this.unnest(i, close, to, out);
    const prev = this.tokens[i - 1];
    const columnList = prev?.kind === 'word' && COLUMN_LIST_CONTEXT.has(prev.value);
    if (t.value === 'ARRAY' || KEYWORDS_BEFORE_PAREN.has(t.value) || columnList) {
      out.add(t.text, t.space);
      return i + 1;
    }
    const rule = FUNCTION_RULES.get(t.value);
    if (!rule) throw unsupported(`function ${t.value}`);
    out.add(rule(this.callSite(t.value, i + 2, close)), t.space);
    return close + 1;
  }

  private callSite(name: string, from: number, to: number): CallSite {
    const argRanges = splitTopLevel(this.tokens, from, to);
    return {
      name,
      tokens: this.tokens,
      inner: [from, to],
      argRanges,
      arg: (n) => {
        const range = argRanges[n];
        if (!range) throw invalidSql(`${name} is missing argument ${n + 1}`);
        return this.range(range[0], range[1]);
      },
      args: () => argRanges.map(([a, b]) => this.range(a, b)),
      translate: (a, b) => this.range(a, b),
      arity: (min, max = min) => {
        if (argRanges.length < min || argRanges.length > max) {
          throw invalidSql(`${name} does not take ${argRanges.length} argument(s)`);
        }
      },
    };
  }

  /** `x IN UNNEST(arr)` becomes a subquery; `FROM UNNEST(arr) AS a` a DuckDB table function. */
  private unnest(i: number, close: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    const list = this.range(i + 2, close);
    if (this.tokens[i - 1]?.value === 'IN') {
      out.add(`(SELECT unnest(${list}))`, t.space);
      return close + 1;
    }
    let j = close + 1;
    const hasAs = this.tokens[j]?.value === 'AS';
    if (hasAs) j++;
    const alias = j < to ? this.tokens[j] : undefined;
    let text = `unnest(${list})`;
    const named = (tk: Token | undefined) =>
      tk && (tk.kind === 'quoted' || (tk.kind === 'word' && !RESERVED.has(tk.value)))
        ? tk.kind === 'quoted'
          ? duckIdent(tk.value)
          : tk.text
        : undefined;
    const name = named(alias);
    if (name) {
      // In BigQuery the alias names the element; in DuckDB it must name the column as well.
      text += ` AS ${name}(${name})`;
      j++;
    } else if (hasAs) {
      throw invalidSql('alias expected after UNNEST(...) AS');
    }
    if (this.tokens[j]?.value === 'WITH' && this.tokens[j + 1]?.value === 'OFFSET') {
      j += this.tokens[j + 2]?.value === 'AS' ? 3 : 2;
      const offset = named(this.tokens[j]);
      if (!name || !offset) throw unsupported('UNNEST ... WITH OFFSET without an alias for both');
      // BigQuery's offset counts from 0, DuckDB's ordinality from 1.
      text =
        `(SELECT u_.${name}, u_.${offset} - 1 AS ${offset} FROM unnest(${list}) WITH ORDINALITY` +
        ` AS u_(${name}, ${offset})) AS ${name}(${name}, ${offset})`;
      j++;
    }
    // BigQuery allows `LEFT JOIN UNNEST(t.arr) AS a` without ON; DuckDB needs the condition.
    const joined = this.tokens[i - 1]?.value === 'JOIN' && this.tokens[i - 2]?.value !== 'CROSS';
    const condition = this.tokens[j]?.value;
    if (joined && condition !== 'ON' && condition !== 'USING') text += ' ON TRUE';
    out.add(text, t.space);
    return j;
  }

  /** DuckDB needs `INTERVAL (expr) UNIT` unless the amount is a plain literal. */
  private interval(i: number, to: number, out: Output): number {
    const t = this.tokens[i]!;
    let unit = i + 1;
    while (unit < to && !(this.tokens[unit]!.kind === 'word' && INTERVAL_UNITS.has(this.tokens[unit]!.value)))
      unit++;
    if (unit >= to || unit === i + 1) throw invalidSql('INTERVAL expects an amount and a unit');
    if (this.tokens[unit + 1]?.value === 'TO') throw unsupported('INTERVAL ... TO ...');
    const amount = this.tokens[i + 1]!;
    const plain = unit === i + 2 && (amount.kind === 'number' || amount.kind === 'string');
    out.add(
      plain
        ? `INTERVAL ${amount.kind === 'string' ? duckString(amount.value) : amount.text}`
        : `INTERVAL (${this.range(i + 1, unit)})`,
      t.space,
    );
    return unit;
  }

  private path(i: number, to: number, out: Output): number {
    const { text, next } = translatePath(this.tokens, i, to, this.kind);
    out.add(text, this.tokens[i]!.space);
    return next;
  }
}
