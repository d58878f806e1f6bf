import type { DemoResult } from './demo.service.js';

/** Cost routes worth a first look, relative to `/api/v1/costs/{org}`. */
const COST_READS = [
  ['Summary (current fiscal year to date)', '/summary'],
  ['Total by category (cloud, GenAI, SaaS, other)', '/total'],
  ['By provider', '/by-provider'],
  ['By service', '/by-service'],
  ['Daily trend, last 30 days', '/trend?granularity=daily&days=30'],
  ['Monthly trend of GenAI, last year', '/trend?granularity=monthly&days=365&category=genai'],
  ['Cloud costs', '/cloud'],
  ['GenAI costs', '/genai'],
  ['SaaS subscriptions', '/subscriptions'],
] as const;

/**
 * Where the printed calls reach the server: a wildcard address (0.0.0.0, ::) is no address to
 * call, so loopback; an IPv6 address goes in brackets (RFC 3986), or `http://::1:8000` is no URL.
 */
export function demoBaseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** What `npm run demo` prints: the org, its key, and curl calls to paste. */
export function demoInstructions(result: DemoResult, baseUrl: string): string {
  const lines = [
    '',
    `Demo organization '${result.org}' is ready: ${result.rows.toLocaleString('en-US')} FOCUS rows ` +
      `from ${result.start} to ${result.end}.`,
    ...result.imports.map(
      (i) => `  ${i.source.padEnd(28)} ${String(i.rows).padStart(9)} rows  (import ${i.importId})`,
    ),
    '',
    `API key (X-API-Key): ${result.apiKey}  (also kept in ${result.keyFile})`,
    '',
    `Try, with the server running at ${baseUrl} (npm start, or npm run demo -- --serve):`,
    `  export KEY='${result.apiKey}'`,
  ];
  for (const [title, route] of COST_READS)
    lines.push(
      `  # ${title}`,
      `  curl -s -H "X-API-Key: $KEY" '${baseUrl}/api/v1/costs/${result.org}${route}'`,
    );
  lines.push(
    '  # Import a FOCUS export of your own (CSV or Parquet, optionally gzip)',
    `  curl -sS -H "X-API-Key: $KEY" -H 'Content-Type: text/csv' --data-binary @focus.csv \\`,
    `    '${baseUrl}/api/v1/admin/organizations/${result.org}/costs/import?source_system=cloud_aws_billing'`,
    '',
  );
  return lines.join('\n');
}
