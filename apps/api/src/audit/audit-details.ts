import { scrubSecrets } from '#platform';

/**
 * Detail keys that may hold a secret are dropped whatever their value, except a boolean, which
 * cannot hold one: a flag about a key (a re-sync's `api_key_retained`) is what the entry is for.
 */
const SECRET_KEY = /key|secret|token|password|credential/i;
const MAX_DEPTH = 8;
const ERROR_MESSAGE_MAX = 1000;

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return depth >= MAX_DEPTH ? '[truncated]' : value.map((v) => clean(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    if (depth >= MAX_DEPTH) return '[truncated]';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if ((SECRET_KEY.test(k) && typeof v !== 'boolean') || v === undefined) continue;
      out[k] = clean(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * The details as they may be stored: secret-looking keys removed at every depth, and string values
 * that look like an API key or a bearer token masked, in case a secret travels under an innocent name.
 */
export function sanitizeAuditDetails(
  details: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  if (!details) return null;
  return clean(details, 0) as Record<string, unknown>;
}

export function sanitizeAuditError(message: string | null | undefined): string | null {
  if (!message) return null;
  const cut = scrubSecrets(message).slice(0, ERROR_MESSAGE_MAX);
  // Not half a character: a cut through a surrogate pair (an emoji of a company name, say) leaves
  // text no UTF-8 column holds, and the warehouse refused the row (the entry was lost).
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
