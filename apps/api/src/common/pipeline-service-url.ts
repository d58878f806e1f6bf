/**
 * `path` (starting with `/`) under PIPELINE_SERVICE_URL, below that URL's own path: a service
 * behind a gateway (`https://gw.example/pipeline-service`) is reached at
 * `https://gw.example/pipeline-service/api/v1/...`, where `new URL('/api/v1/...', base)` would
 * drop its path and call whatever the gateway serves at its root.
 */
export function pipelineServiceUrl(baseUrl: URL | string, path: string): URL {
  const base = (typeof baseUrl === 'string' ? new URL(baseUrl) : baseUrl).href.replace(/\/+$/, '');
  return new URL(`${base}${path}`);
}
