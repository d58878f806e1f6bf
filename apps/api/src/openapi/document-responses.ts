import { STATUS_CODES } from 'node:http';
import type { OpenAPIObject, OperationObject, ReferenceObject, ResponseObject } from '@nestjs/swagger';
import { describeCases, derivedErrors, type ErrorCase } from './error-responses.js';
import { PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMAS, problemContent } from './problem-schemas.js';
import { headerRefs, RESPONSE_HEADERS, rateLimitHeaders } from './response-headers.js';
import type { RouteFacts } from './route-facts.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

const isReference = (r: ResponseObject | ReferenceObject | undefined): r is ReferenceObject =>
  r !== undefined && '$ref' in r;

/** The derived codes join a status the route declares itself: its own description first, kept. */
function mergeError(op: OperationObject, status: number, cases: readonly ErrorCase[]): void {
  const own = op.responses[status];
  if (isReference(own)) return;
  if (!own) {
    op.responses[status] = { description: describeCases(cases) };
    return;
  }
  const more = describeCases(cases, own.description);
  if (more) own.description = `${own.description}\n\nAlso:\n${more}`;
}

/** The headers a response of this status carries (see RESPONSE_HEADERS), beside the route's own. */
function headersOf(status: number, response: ResponseObject, facts: RouteFacts): string[] {
  // The limits count a request before its route answers: a refusal of its key, its input or its
  // resource carries the headers too (not one refused before the guards, so they may be absent).
  const names = ['X-Request-ID', 'X-API-Version', ...rateLimitHeaders(facts.limits, status === 429)];
  if (status < 300 && facts.idempotent) names.push('Idempotent-Replayed');
  if (status === 401) names.push('WWW-Authenticate');
  if (status === 429) names.push('Retry-After');
  const problem = response.content?.[PROBLEM_MEDIA_TYPE] !== undefined;
  if (status === 409 || (status === 503 && problem)) names.push('Retry-After');
  return names;
}

function completeOperation(op: OperationObject, method: string, path: string, facts: RouteFacts): void {
  for (const [status, cases] of derivedErrors(facts, path, op, method)) mergeError(op, status, cases);
  const ordered = Object.entries(op.responses).sort(([a], [b]) => (Number(a) || 999) - (Number(b) || 999));
  for (const [key, response] of ordered) {
    const status = Number(key);
    if (!response || isReference(response) || !status) continue;
    if (!response.description) response.description = STATUS_CODES[status] ?? String(status);
    // Every error of the API is problem+json (the one filter), unless the route says otherwise.
    if (status >= 400 && !response.content) response.content = problemContent(status);
    response.headers = { ...headerRefs(...headersOf(status, response, facts)), ...response.headers };
  }
  op.responses = Object.fromEntries(ordered);
}

/**
 * Completes every operation's responses from what the app knows of its route (`factsOf`): the
 * error statuses it can answer as problem+json, merged with those it declares, and the headers of
 * each response. Adds the Problem schemas and the header components they reference.
 */
export function completeResponses(
  document: OpenAPIObject,
  factsOf: (method: string, path: string) => RouteFacts | undefined,
): void {
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...PROBLEM_SCHEMAS };
  components.headers = { ...RESPONSE_HEADERS, ...components.headers };
  for (const [path, item] of Object.entries(document.paths))
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const facts = factsOf(method, path);
      // Documented yet unknown to the app: its auth and limits would be guesses.
      if (!facts)
        throw new Error(`The OpenAPI document has ${method.toUpperCase()} ${path}, which no route serves`);
      completeOperation(op, method, path, facts);
    }
}
