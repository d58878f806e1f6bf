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
}

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
