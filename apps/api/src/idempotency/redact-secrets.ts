import type { JsonValue } from './json-value.js';

export const REDACTED = '[redacted]';

/**
 * Compared without case, underscores or hyphens: `api_key`, `apiKey` and `API_KEY` match alike. A
 * name is a secret's when it is one of these words, or ends in one of the compound ones
 * (`client_secret`, `refresh_token`, `aws_secret_access_key`, `org_api_key`), while a name that
 * merely holds a word (`token_type`, `next_page_token`, `secret_name`) is kept.
 */
const SECRET_NAME =
  /^(?:token|.*(?:apikey|secret|password|privatekey|secretaccesskey|accesstoken|refreshtoken|idtoken|sessiontoken|servicerolekey|connectionstring|credentials?))$/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[_-]/g, ''));
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
