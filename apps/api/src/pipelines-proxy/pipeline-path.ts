/** Cloud providers whose pipelines the pipeline service files under the `cloud` category. */
const CLOUD_PROVIDERS = new Set(['gcp', 'aws', 'azure', 'oci']);

/**
 * The segments the pipeline service reads after the org. It reads three segments as
 * category/domain/pipeline and four as category/provider/domain/pipeline, so a three-segment
 * trigger naming a cloud provider (`gcp/cost/billing`) is sent as `cloud/gcp/cost/billing`;
 * anything else (`subscription/costs/subscription_cost`, `genai/payg/openai`) is sent as given.
 */
export function upstreamSegments(segments: string[]): string[] {
  if (segments.length === 3 && CLOUD_PROVIDERS.has(segments[0]!.toLowerCase())) return ['cloud', ...segments];
  return segments;
}
