import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import pl from 'nodejs-polars';

/** The BigQuery v2 REST wire format as the fake server (bigquery-server.ts) reads and writes it. */
export interface FakeField {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: FakeField[];
  description?: string;
}
export interface FakeQueryRequest {
  projectId: string;
  sql: string;
  /** Named parameters decoded from the wire: type as `STRING` / `ARRAY<STRING>`, value as sent. */
  params: Record<string, { type: string; value: unknown }>;
  body: Record<string, unknown>;
}
export interface FakeError {
  code: number;
  reason: string;
  message: string;
}

export type Json = Record<string, unknown>;
export class HttpError extends Error {
  constructor(readonly failure: FakeError) {
    super(failure.message);
  }
}

const LEGACY: Record<string, string> = {
  INT64: 'INTEGER',
  FLOAT64: 'FLOAT',
  BOOL: 'BOOLEAN',
  STRUCT: 'RECORD',
};
export const legacyFields = (fields: FakeField[] = []): FakeField[] =>
  fields.map((f) => ({
    ...f,
    type: LEGACY[f.type.toUpperCase()] ?? f.type.toUpperCase(),
    mode: f.mode ?? 'NULLABLE',
    ...(f.fields ? { fields: legacyFields(f.fields) } : {}),
  }));
export const fail = (code: number, reason: string, message: string): never => {
  throw new HttpError({ code, reason, message });
};
export const notFound = (what: string): never => fail(404, 'notFound', `Not found: ${what}`);

function encodeScalar(type: string, v: unknown, int64Timestamps: boolean): unknown {
  switch (type) {
    case 'BOOLEAN':
      return v ? 'true' : 'false';
    case 'TIMESTAMP': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(String(v));
      return int64Timestamps ? String(BigInt(ms) * 1000n) : String(ms / 1000);
    }
    case 'DATE':
      return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
    case 'JSON':
      return JSON.stringify(v);
    case 'BYTES':
      return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
    default:
      return String(v);
  }
}
export function encodeValue(field: FakeField, v: unknown, ts: boolean, inArray = false): unknown {
  // BigQuery never sends a NULL array: an empty one instead.
  if (field.mode === 'REPEATED' && !inArray)
    return ((v ?? []) as unknown[]).map((item) => ({ v: encodeValue(field, item, ts, true) }));
  if (v === null || v === undefined) return null;
  if (field.type === 'RECORD') {
    const sub = field.fields ?? [];
    const values = Array.isArray(v) ? v : sub.map((f) => (v as Json)[f.name]);
    return { f: sub.map((f, i) => ({ v: encodeValue(f, values[i], ts) })) };
  }
  return encodeScalar(field.type, v, ts);
}

export function decodeParams(body: Json): FakeQueryRequest['params'] {
  interface WireParam {
    name?: string;
    parameterType: { type: string; arrayType?: { type: string } };
    parameterValue?: { value?: unknown; arrayValues?: { value?: unknown }[] };
  }
  const params: FakeQueryRequest['params'] = {};
  for (const p of (body.queryParameters as WireParam[] | undefined) ?? []) {
    const t = p.parameterType;
    const type = t.arrayType ? `ARRAY<${t.arrayType.type}>` : t.type;
    const pv = p.parameterValue ?? {};
    params[p.name ?? ''] = {
      type,
      value: pv.arrayValues ? pv.arrayValues.map((a) => a.value) : (pv.value ?? null),
    };
  }
  return params;
}

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
export function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return text; // recorded as is; no route accepts it
  }
}
/** The parts of a `multipart/related` body (the upload of a load job: metadata JSON, then the file). */
export function multipartParts(raw: Buffer, contentType: string | undefined): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType ?? '')?.[1];
  if (!boundary) return fail(400, 'invalid', 'fake BigQuery: the upload is not multipart');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const next = raw.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = raw.subarray(at + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // The part's body runs from after its headers to the CRLF before the next delimiter.
    if (headerEnd >= 0) parts.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return parts;
}

/** Data rows of an uploaded file, the way BigQuery would count them. */
export function countRows(data: Buffer, load: Record<string, unknown>): number {
  if (load.sourceFormat === 'PARQUET') return pl.readParquet(data).height;
  if (load.sourceFormat === 'NEWLINE_DELIMITED_JSON')
    return data
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length;
  const text = (data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8');
  const records = parseCsv(text, { relax_column_count: true, skip_empty_lines: true }) as unknown[];
  return Math.max(0, records.length - Number(load.skipLeadingRows ?? 0));
}

export const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

/** BigQuery's reserved keywords (lexical structure, "Reserved keywords"). */
const RESERVED_KEYWORDS = new Set(
  (
    'ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS CREATE CROSS ' +
    'CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXISTS EXTRACT FALSE ' +
    'FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH HAVING IF IGNORE IN INNER INTERSECT INTERVAL ' +
    'INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER ' +
    'OVER PARTITION PRECEDING PROTO QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME ' +
    'STRUCT TABLESAMPLE THEN TO TREAT TRUE UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN'
  ).split(' '),
);

/**
 * BigQuery reads the name after `@` as an identifier: an unquoted reserved keyword there is a
 * syntax error (`@from`; the driver sends it as `@from_kw`). The error BigQuery answers, or
 * undefined. String literals and comments are skipped.
 */
export function reservedParamError(sql: string): FakeError | undefined {
  const code = sql.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g, (m) =>
    ' '.repeat(m.length),
  );
  for (const m of code.matchAll(/(?<!@)@([A-Za-z_]\w*)/g)) {
    const word = m[1]!.toUpperCase();
    if (!RESERVED_KEYWORDS.has(word)) continue;
    const before = code.slice(0, m.index);
    const line = before.split('\n').length;
    const column = m.index - before.lastIndexOf('\n') + 1;
    return {
      code: 400,
      reason: 'invalidQuery',
      message: `Syntax error: Unexpected keyword ${word} at [${line}:${column}]`,
    };
  }
  return undefined;
}
