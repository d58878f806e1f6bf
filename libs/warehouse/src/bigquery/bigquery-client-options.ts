import type { BigQueryOptions } from '@google-cloud/bigquery';
import { OAuth2Client, type AuthClient } from 'google-auth-library';

export interface BigQueryWarehouseOptions {
  projectId: string;
  /** Default location of datasets and query jobs (e.g. `US`, `EU`). */
  location?: string;
  /** Only for emulators and tests; production uses Google's endpoint. */
  apiEndpoint?: string;
  /** Explicit credentials; without one, Application Default Credentials are used. */
  authClient?: AuthClient;
  /** Per-query timeout when the caller gives none. */
  defaultTimeoutMs?: number;
  /** How long a load job (loadFile) may take before it is cancelled; default 30 minutes. */
  loadTimeoutMs?: number;
  /** Default cap on billed bytes per query; a query's own option overrides it. */
  maximumBytesBilled?: number;
  /** Retries of rate-limit, 5xx and network failures by the client library (its default is 3; 0 disables). */
  maxRetries?: number;
  /**
   * `host:port` of a Storage Read API emulator or test server (plain text). Frames of results
   * longer than a page are read through the Storage Read API: Google's unless `apiEndpoint` is
   * set, then this one's, and none when neither is.
   */
  storageApiEndpoint?: string;
  /** Told when a frame fell back from the Storage Read API to the REST pages (e.g. a missing role). */
  onStorageFallback?: (error: unknown) => void;
}

/** The bearer token a local endpoint receives when no auth client is given. */
export const LOCAL_FAKE_TOKEN = 'local-fake-token';

/**
 * An auth client holding a fixed, unexpiring-for-an-hour access token. google-auth-library never
 * refreshes it, so it never looks up default credentials, which would otherwise probe the GCE
 * metadata server (169.254.169.254) before any request reaches a local endpoint.
 */
export function staticAuthClient(token: string = LOCAL_FAKE_TOKEN): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

/**
 * Options for `new BigQuery(...)`. A custom `apiEndpoint` means an emulator or a test server, so it
 * gets a static token unless an auth client is given: no credential lookup, no traffic elsewhere.
 */
export function createBigQueryClientOptions(options: BigQueryWarehouseOptions): BigQueryOptions {
  const authClient = options.authClient ?? (options.apiEndpoint ? staticAuthClient() : undefined);
  const retries = options.maxRetries;
  return {
    projectId: options.projectId,
    ...(options.location ? { location: options.location } : {}),
    ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
    ...(authClient ? { authClient } : {}),
    // `maxRetries: 0` is falsy to the client library and silently means 3; only autoRetry turns it off.
    ...(retries === undefined
      ? {}
      : { retryOptions: retries > 0 ? { maxRetries: retries } : { autoRetry: false } }),
  };
}
