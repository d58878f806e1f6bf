import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so that two bodies that differ only in key order
 * (or in properties JSON.stringify drops) are the same request.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return sortKeys(withJson.toJSON());
  if (Array.isArray(value)) return value.map(sortKeys);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export interface RequestShape {
  method: string;
  /** The path as sent, without the query: `/orgs/a/x` and `/orgs/b/x` are different requests. */
  path: string;
  query: unknown;
  body: unknown;
}

/** What "the same request" means for a key: method, path, query and body, as a sha256 hex. */
export function requestFingerprint(req: RequestShape): string {
  return createHash('sha256')
    .update(
      `${req.method.toUpperCase()} ${req.path}\n${canonicalJson(req.query)}\n${canonicalJson(req.body)}`,
    )
    .digest('hex');
}
