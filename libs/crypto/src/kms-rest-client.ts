import { setTimeout as sleep } from 'node:timers/promises';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';

/** What is needed of a google-auth-library client (AuthClient and GoogleAuth both fit). */
export interface RequestHeaderSource {
  getRequestHeaders(url?: string | URL): Promise<Headers>;
}

export type KmsOperation = 'encrypt' | 'decrypt';

export interface KmsRestClientOptions {
  endpoint: string;
  keyName: string;
  auth: RequestHeaderSource;
  timeoutMs: number;
  retryDelayMs: number;
}

type Attempt =
  | { ok: true; json: Record<string, unknown> }
  | { ok: false; error: CryptoError; retryable: boolean; retryAfterMs?: number };

const RETRYABLE_STATUS = new Set([429, 503]);
const UNAVAILABLE_STATUS = new Set([401, 403, 404, 408, 429]);
const MAX_RETRY_AFTER_MS = 2_000;
const GRPC_STATUS = /^[A-Z_]{1,40}$/;

/**
 * `POST v1/{keyName}:encrypt|decrypt` of the Cloud KMS REST API. Each attempt has its own timeout;
 * a 429, a 503 or a dropped connection is retried once (both calls are free of side effects).
 * Response bodies are never put in errors: a KMS or a proxy in front of it may echo request data.
 */
export class KmsRestClient {
  constructor(private readonly options: KmsRestClientOptions) {}

  async call(op: KmsOperation, body: Record<string, string>): Promise<Record<string, unknown>> {
    const url = `${this.options.endpoint}/v1/${this.options.keyName}:${op}`;
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(url, op, payload);
      if (outcome.ok) return outcome.json;
      if (attempt > 1 || !outcome.retryable) throw outcome.error;
      await sleep(outcome.retryAfterMs ?? this.options.retryDelayMs);
    }
  }

  private async attempt(url: string, op: KmsOperation, payload: string): Promise<Attempt> {
    const headers = new Headers(await this.authHeaders(url));
    headers.set('content-type', 'application/json');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: payload,
        // Not followed: a redirect would turn the POST into a GET to wherever it points (with the
        // credentials' header), and KMS never answers one; see statusError.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      if (isTimeout(err)) return { ok: false, error: this.timedOut(op), retryable: false };
      const error = unavailable(`Cloud KMS is unreachable (${networkCode(err)})`, err);
      return { ok: false, error, retryable: true };
    }
    if (!res.ok) {
      const error = statusError(op, res.status, await grpcStatus(res));
      return { ok: false, error, retryable: RETRYABLE_STATUS.has(res.status), retryAfterMs: retryAfter(res) };
    }
    try {
      const json: unknown = await res.json();
      if (json !== null && typeof json === 'object')
        return { ok: true, json: json as Record<string, unknown> };
    } catch (err) {
      if (isTimeout(err)) return { ok: false, error: this.timedOut(op), retryable: false };
      // Not JSON is a SyntaxError; anything else is the connection dropped under the answer: an
      // outage (retried like one), not KMS refusing the data.
      if (!(err instanceof SyntaxError)) {
        const error = unavailable(`Cloud KMS dropped the connection during ${op} (${networkCode(err)})`, err);
        return { ok: false, error, retryable: true };
      }
    }
    // KMS answers a 200 in JSON: anything else is from something in front of it (a proxy's or a
    // portal's page), so the key cannot be used; the value itself was never judged.
    return {
      ok: false,
      error: unavailable(`Cloud KMS returned an unreadable ${op} response`),
      retryable: false,
    };
  }

  private async authHeaders(url: string): Promise<Headers> {
    try {
      return await this.options.auth.getRequestHeaders(url);
    } catch (err) {
      throw unavailable('Could not obtain Google credentials for Cloud KMS', err);
    }
  }

  private timedOut(op: KmsOperation): CryptoError {
    return unavailable(`Cloud KMS did not answer ${op} within ${this.options.timeoutMs} ms`);
  }
}

/**
 * 400 is KMS refusing the data (for decrypt: wrong AAD, wrong key or altered ciphertext), except
 * FAILED_PRECONDITION, which is a disabled or destroyed key version. Auth, missing key, rate limit
 * and server errors mean the key cannot be used right now, and so does a redirect (not KMS's).
 */
function statusError(op: KmsOperation, http: number, grpc: string | undefined): CryptoError {
  const what = `Cloud KMS ${op} failed (HTTP ${http}${grpc ? ` ${grpc}` : ''})`;
  if (grpc === 'FAILED_PRECONDITION' || UNAVAILABLE_STATUS.has(http) || http >= 500 || http < 400)
    return unavailable(what);
  const hint = op === 'decrypt' && http === 400 ? ': wrong context, wrong key or altered ciphertext' : '';
  return new CryptoError(failedCode(op), what + hint);
}

/** Only the gRPC status name (a fixed enum) is read from an error body; the rest is discarded. */
async function grpcStatus(res: Response): Promise<string | undefined> {
  try {
    const body = (await res.json()) as { error?: { status?: unknown } } | null;
    const status = body?.error?.status;
    return typeof status === 'string' && GRPC_STATUS.test(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(res: Response): number | undefined {
  const seconds = Number(res.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

function failedCode(op: KmsOperation): CryptoErrorCode {
  return op === 'encrypt' ? CryptoErrorCode.EncryptFailed : CryptoErrorCode.DecryptFailed;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function networkCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}

/** The cause is logged: keep its message only, not attached request configs or response objects. */
function unavailable(message: string, cause?: unknown): CryptoError {
  const options =
    cause === undefined ? {} : { cause: new Error(cause instanceof Error ? cause.message : String(cause)) };
  return new CryptoError(CryptoErrorCode.KeyUnavailable, message, options);
}
