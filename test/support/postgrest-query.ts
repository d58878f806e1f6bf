/** PostgREST's request vocabulary (filters, select, order, paging) turned into parameterized SQL, and its error shape. */
interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

export const fail = (
  status: number,
  code: string,
  message: string,
  details: string | null = null,
): HttpError => new HttpError(status, { code, message, details, hint: null });

export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const qi = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict']);
const COMPARISONS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const IS_VALUES: Record<string, string> = { null: 'NULL', true: 'TRUE', false: 'FALSE', unknown: 'UNKNOWN' };

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * PostgREST's list grammar (pListVal in QueryParams.hs): `(`, elements separated by `,`, `)`, with
 * spaces after either parenthesis skipped. An element in double quotes takes backslash escapes and
 * must end at `,` or `)`; any other element is the characters up to the next `,` or `)`, quotes and
 * backslashes included. A single empty element is an empty list (`= any('{}')`). undefined when
 * the text is not a list.
 */
export function parseListVal(text: string): string[] | undefined {
  let i = 0;
  const skipSpaces = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const quoted = (): string | undefined => {
    let j = i + 1;
    let out = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        if (j + 1 >= text.length) return undefined;
        out += text[j + 1];
        j += 2;
      } else out += text[j++];
    }
    if (text[j] !== '"' || (j + 1 < text.length && !',)'.includes(text[j + 1]))) return undefined;
    i = j + 1;
    return out;
  };
  const element = (): string => {
    const value = text[i] === '"' ? quoted() : undefined;
    if (value !== undefined) return value;
    const start = i;
    while (i < text.length && text[i] !== ',' && text[i] !== ')') i++;
    return text.slice(start, i);
  };
  if (text[i] !== '(') return undefined;
  i++;
  skipSpaces();
  const items = [element()];
  while (text[i] === ',') {
    i++;
    items.push(element());
  }
  if (text[i] !== ')') return undefined;
  i++;
  skipSpaces();
  if (i !== text.length) return undefined;
  return items.length === 1 && items[0] === '' ? [] : items;
}

function condition(column: string, expr: string, params: Params): string {
  const dot = expr.indexOf('.');
  const [op, value] = dot < 0 ? [expr, ''] : [expr.slice(0, dot), expr.slice(dot + 1)];
  if (op in COMPARISONS) return `${qi(column)} ${COMPARISONS[op]} ${params.add(value)}`;
  if (op === 'is' && value in IS_VALUES) return `${qi(column)} IS ${IS_VALUES[value]}`;
  const list = op === 'in' ? parseListVal(value) : undefined;
  if (list) return `${qi(column)} = ANY(${params.add(list)})`;
  throw fail(400, 'PGRST100', `"failed to parse filter (${expr})" (line 1, column 1)`);
}

export function whereClause(query: URLSearchParams, params: Params): string {
  const conditions = [...query].filter(([k]) => !RESERVED.has(k)).map(([k, v]) => condition(k, v, params));
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

export function columnList(value: string | null, what: string): string[] {
  if (value === null || value === '' || value === '*') return [];
  return value.split(',').map((raw) => {
    const name = raw.trim().replace(/^"(.*)"$/, '$1');
    if (!name || /[.:()!]/.test(name)) throw fail(400, 'PGRST100', `unsupported ${what} "${raw}"`);
    return name;
  });
}

export function selectList(query: URLSearchParams): string {
  const columns = columnList(query.get('select'), 'select');
  return columns.length ? columns.map(qi).join(', ') : '*';
}

export function orderClause(value: string | null): string {
  if (!value) return '';
  const terms = value.split(',').map((term) => {
    const [column, ...mods] = term.split('.');
    const sql = [qi(column)];
    for (const mod of mods) {
      const word = { asc: 'ASC', desc: 'DESC', nullsfirst: 'NULLS FIRST', nullslast: 'NULLS LAST' }[mod];
      if (!word) throw fail(400, 'PGRST100', `"failed to parse order (${term})" (line 1, column 1)`);
      sql.push(word);
    }
    return sql.join(' ');
  });
  return ` ORDER BY ${terms.join(', ')}`;
}

/** `limit`/`offset` parameters, else a `Range: from-to` header (what older clients send). */
export function pageClause(
  query: URLSearchParams,
  range: string | undefined,
  params: Params,
  maxRows?: number,
): [string, number] {
  let limit = query.get('limit');
  let offset = query.get('offset');
  const m = range === undefined ? null : /^(\d+)-(\d*)$/.exec(range);
  if (m && limit === null && offset === null) {
    offset = m[1];
    if (m[2]) limit = String(Number(m[2]) - Number(m[1]) + 1);
  }
  const from = offset === null ? 0 : Number(offset);
  // PostgREST's db-max-rows: no read returns more, whatever it asked for, and nothing says so.
  const rows = limit === null ? maxRows : Math.min(Number(limit), maxRows ?? Number.POSITIVE_INFINITY);
  let sql = rows === undefined ? '' : ` LIMIT ${params.add(rows)}`;
  if (offset !== null) sql += ` OFFSET ${params.add(from)}`;
  return [sql, from];
}
