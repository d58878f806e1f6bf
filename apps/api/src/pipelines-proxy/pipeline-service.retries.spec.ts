import { retryReason } from './pipeline-service.client.js';

const response = (status: number) => ({
  kind: 'response' as const,
  status,
  headers: {},
  body: Buffer.alloc(0),
});

describe('pipeline service retries: only where a retry cannot start a second run', () => {
  it('retries when nothing reached the service, or it answered 502, 503 or 504', () => {
    expect(retryReason({ kind: 'not_sent', code: 'ECONNREFUSED' })).toBe('could not connect (ECONNREFUSED)');
    expect(retryReason({ kind: 'timeout', phase: 'connect' })).toBe('could not connect in time');
    for (const status of [502, 503, 504]) expect(retryReason(response(status))).toBe(`answered ${status}`);
    // A kept-alive connection the service closed as idle, reset before any answer.
    expect(retryReason({ kind: 'failed', code: 'ECONNRESET', staleSocket: true })).toBe(
      'reset the kept-alive connection (ECONNRESET)',
    );
  });

  it('does not retry once the request may have been received and acted on', () => {
    expect(retryReason({ kind: 'timeout', phase: 'response' })).toBeNull();
    expect(retryReason({ kind: 'failed', code: 'ECONNRESET' })).toBeNull();
    for (const status of [200, 202, 400, 409, 429, 500]) expect(retryReason(response(status))).toBeNull();
  });
});
