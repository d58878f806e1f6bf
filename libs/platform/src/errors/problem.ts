/** RFC 9457 problem details, the one error format of the API. */
export interface FieldViolation {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  instance?: string;
  errors?: FieldViolation[];
  [extra: string]: unknown;
}

export interface ProblemSpec {
  status: number;
  title: string;
  /**
   * A 5xx the server gives by design, not a failure of its own (a circuit breaker open, the instance
   * shutting down): logged at warn, without a stack. The failures that led to it were logged when
   * they happened; at error level every refusal while the breaker is open would page someone.
   */
  expected?: boolean;
  /**
   * A refusal that ends by itself (a dependency down, a failover): every answer of the code says
   * when to try again (RFC 9110 §10.2.3), unless the error names its own Retry-After. Without it a
   * client's retry loop has nothing to go by, and one that retries at once adds to the outage.
   */
  retryAfterSeconds?: number;
}

/** Retry-After of an engine or dependency that stopped answering: long enough for a failover or a restart. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** code → status and title. Each module contributes its enum; the app assembles one catalog. */
export type ErrorCatalog = Record<string, ProblemSpec>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const TYPE_BASE = 'https://errors.finops-api.dev/';

export function problemType(code: string): string {
  return TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}

export function buildProblem(
  code: string,
  spec: ProblemSpec,
  detail: string,
  requestId: string,
  extra: Record<string, unknown> = {},
): ProblemDetails {
  return {
    ...extra,
    type: problemType(code),
    title: spec.title,
    status: spec.status,
    detail,
    code,
    request_id: requestId,
  };
}
