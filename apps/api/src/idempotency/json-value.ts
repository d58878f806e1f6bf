/** A value as JSON.parse returns it (what a jsonb column holds). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export type JsonObject = { [k: string]: JsonValue };

/**
 * A response body that can be stored and replayed: a JSON object or array, or null for an empty
 * body. JSON scalars are left out, as a driver would send a bare string as text, not jsonb.
 */
export type StoredBody = JsonObject | JsonValue[] | null;
