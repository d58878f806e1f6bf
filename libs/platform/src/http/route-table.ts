import FindMyWay, { type Config, type HTTPMethod, type HTTPVersion, type Instance } from 'find-my-way';

/** The router settings that decide whether a path matches a route. */
export type RouteMatching = Pick<
  Config<HTTPVersion.V1>,
  'ignoreTrailingSlash' | 'ignoreDuplicateSlashes' | 'caseSensitive'
>;

/**
 * Fastify answers 404 for a known path with the wrong method; this table (filled from the
 * onRoute hook) tells those apart so they get 405 with an Allow header. It must match paths as the
 * server's router does (its settings are passed in): a path the server does not route, such as a
 * known path with a trailing slash while ignoreTrailingSlash is off, stays 404.
 */
/** A request URL without its query string: the path routes are matched on. */
export function urlPath(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export class RouteTable {
  private readonly router: Instance<HTTPVersion.V1>;
  private readonly methods = new Set<string>();

  constructor(matching: RouteMatching = {}) {
    this.router = FindMyWay(matching);
  }

  add(method: string | string[], url: string): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      // HEAD is registered by Fastify beside each GET (exposeHeadRoutes) and served: it is allowed.
      if (m === 'OPTIONS') continue;
      try {
        this.router.on(m as HTTPMethod, url, () => undefined);
        this.methods.add(m);
      } catch {
        // A duplicate registration (same method and path) is Fastify's concern, not ours.
      }
    }
  }

  /** Every method some route takes: what the server as a whole allows (`OPTIONS *`). */
  allMethods(): string[] {
    return [...this.methods];
  }

  /** Methods registered for this concrete path (empty when the path is unknown). */
  allowed(path: string): string[] {
    return [...this.methods].filter((m) => this.router.find(m as HTTPMethod, path) !== null);
  }
}

/**
 * The Allow header of a known path: its methods, and OPTIONS, which the platform answers on every
 * path (the same in a 405 and in the answer to OPTIONS, RFC 9110 §10.2.1).
 */
export const allowHeader = (allowed: readonly string[]): string => [...allowed, 'OPTIONS'].join(', ');
