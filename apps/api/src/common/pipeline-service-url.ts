/**
 * `path` (starting with `/`) under PIPELINE_SERVICE_URL, below that URL's own path: a service
 * behind a gateway (`https://gw.example/pipeline-service`) is reached at
 * `https://gw.example/pipeline-service/api/v1/...`, where `new URL('/api/v1/...', base)` would
 * drop its path and call whatever the gateway serves at its root. The URL's query (a gateway's
 * function key, `?code=...`) is kept after the path: appended to the whole URL, the path went into
 * the query (or the fragment), and every call went to the gateway's own path instead.
 */
export function pipelineServiceUrl(baseUrl: URL | string, path: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  // A fragment is never sent; it has no place in a service URL.
  url.hash = '';
  return url;
}
