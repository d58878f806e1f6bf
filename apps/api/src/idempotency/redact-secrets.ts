import type { JsonValue } from './json-value.js';

export const REDACTED = '[redacted]';

/**
 * Compared without case or underscores, so `api_key`, `apiKey` and `API_KEY` all match while a
 * longer name that merely contains one (`token_type`, `next_page_token`) is kept.
 */
const SECRET_NAMES = new Set([
  'apikey',
  'secret',
  'token',
  'password',
  'credential',
  'credentials',
  'privatekey',
]);

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase().replace(/_/g, ''));
}

/**
 * A copy of `value` in which every property with a secret's name, at any depth, is `[redacted]`.
 * Stored responses are replayed for a day to whoever holds the key: a secret shown once (a new
 * API key) must not be shown again, nor sit in the database.
 */
export function redactSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: { [k: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) ? REDACTED : redactSecrets(v);
  return out;
}
