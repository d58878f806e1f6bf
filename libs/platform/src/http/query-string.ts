import { parse } from 'fast-querystring';

/** The parameters of a parsed query whose text is no valid percent-encoding (see parseQuery). */
const undecodable = new WeakMap<object, string[]>();

/** A name or a value decoded (`+` a space); null when its percent-encoding does not decode. */
function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The router's query parser: Fastify's own (fast-querystring, the same parse), which keeps the text
 * of a parameter whose percent-encoding does not decode (`%FF`, `%ZZ`, an overlong `%C0%80`) as it
 * came. Such a value then reached the routes as a filter matching nothing, a silent 200 with no
 * costs, where a path so encoded is refused. The names of those parameters are remembered for the
 * validation pipe, which refuses them by name (undecodableParameters).
 */
export function parseQuery(query: string): Record<string, unknown> {
  const parsed = query.length === 0 ? {} : (parse(query) as Record<string, unknown>);
  if (!query.includes('%')) return parsed;
  const names = new Set<string>();
  for (const pair of query.split('&')) {
    if (!pair.includes('%')) continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const name = decoded(key);
    if (name === null) names.add(key.replace(/\+/g, ' '));
    else if (decoded(value) === null) names.add(name);
  }
  if (names.size) undecodable.set(parsed, [...names]);
  return parsed;
}

/** The parameters of `query` (as parseQuery made it) whose percent-encoding does not decode. */
export function undecodableParameters(query: unknown): string[] | undefined {
  return query !== null && typeof query === 'object' ? undecodable.get(query) : undefined;
}
