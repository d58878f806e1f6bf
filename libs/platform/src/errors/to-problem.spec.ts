import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import type { ErrorCatalog } from './problem.js';
import { toProblem } from './to-problem.js';

const catalog: ErrorCatalog = {
  DEPENDENCY_DOWN: { status: 503, title: 'A dependency is down', retryAfterSeconds: 5 },
  CONFLICT: { status: 409, title: 'Conflict' },
};

describe('toProblem: Retry-After of a transient code', () => {
  it("sets the code's Retry-After on every answer of it", () => {
    const { problem, headers } = toProblem(new DomainError('DEPENDENCY_DOWN', 'down'), 'req-1', catalog);
    expect(problem.status).toBe(503);
    expect(headers).toEqual({ 'Retry-After': '5' });
  });

  it("keeps the error's own Retry-After (whatever its spelling) and its other headers", () => {
    const error = new DomainError('DEPENDENCY_DOWN', 'down', {
      headers: { 'retry-after': '30', 'X-Other': 'kept' },
    });
    expect(toProblem(error, 'req-2', catalog).headers).toEqual({ 'retry-after': '30', 'X-Other': 'kept' });
  });

  it('adds nothing to a code without one', () => {
    expect(toProblem(new DomainError('CONFLICT', 'taken'), 'req-3', catalog).headers).toEqual({});
  });
});
