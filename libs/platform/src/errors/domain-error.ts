/**
 * Base of every module's error class. Services throw these (never HttpException); the one global
 * filter maps `code` to an HTTP status and a problem+json body. `detail` is user-facing text: it
 * must never carry a secret or an internal message (those go to `cause`, which is only logged).
 */
export interface DomainErrorOptions {
  /** Extra members for the problem+json body (e.g. retry_after_seconds, step). */
  extra?: Record<string, unknown>;
  /** Headers to set on the response (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** The underlying error: logged with the request id, never sent to the client. */
  cause?: unknown;
  /**
   * The detail is written for the client even when the status is 5xx (which otherwise shows the
   * title only): an upstream's own explanation, or advice such as "the run may have started".
   * Never set on a detail that may carry an internal message.
   */
  publicDetail?: boolean;
}

export class DomainError<C extends string = string> extends Error {
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly publicDetail: boolean;

  constructor(
    readonly code: C,
    readonly detail: string,
    options: DomainErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
    this.publicDetail = options.publicDetail ?? false;
  }
}
