import type { BatchRunRow } from './pipeline-logs.repository.js';
import { errorContext, jsonObject, toBatchRun } from './run-records.js';

const batch = (o: Partial<BatchRunRow>): BatchRunRow => ({
  batch_run_id: 'b1',
  org_slug: 'ALL',
  trigger_type: 'SCHEDULED',
  status: 'COMPLETED',
  run_date: '2026-03-09',
  dry_run: false,
  orgs_processed: 2,
  orgs_skipped: 0,
  pipelines_triggered: 2,
  pipelines_failed: 0,
  pipelines_skipped_quota: 0,
  total_integrations: 2,
  results: [],
  errors: [],
  elapsed_seconds: 1,
  triggered_at: new Date('2026-03-10T00:00:00Z'),
  completed_at: new Date('2026-03-10T00:00:01Z'),
  ...o,
});

describe('run records', () => {
  it('parses JSON text stored inside a JSON column and keeps anything else as raw', () => {
    expect(jsonObject({ a: 1 })).toEqual({ a: 1 });
    expect(jsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(jsonObject('not json')).toEqual({ raw: 'not json' });
    expect(jsonObject([1, 2])).toEqual({ raw: [1, 2] });
    expect(jsonObject(null)).toBeNull();
  });

  it('keeps only the documented error-context fields, typed', () => {
    expect(
      errorContext({ error_type: 'PERMANENT', retry_count: '3', is_retryable: false, secret: 'x' }),
    ).toEqual({
      error_type: 'PERMANENT',
      error_code: null,
      retry_count: null,
      is_retryable: false,
      stack_trace: null,
      suggested_action: null,
    });
    expect(errorContext('garbage')).toBeNull();
  });

  it('shows an org only its own entries of a platform-wide batch, and its own batch whole', () => {
    const results = [
      { org_slug: 'acme', status: 'triggered' },
      { org_slug: 'beta', status: 'failed' },
      'unattributed',
    ];
    const errors = [{ org_slug: 'beta', error: 'x' }, 'beta: no key'];
    const platform = toBatchRun(batch({ results, errors }), 'acme');
    expect(platform.results).toEqual([{ org_slug: 'acme', status: 'triggered' }]);
    expect(platform.errors).toEqual([]);
    const own = toBatchRun(
      batch({ org_slug: 'acme', results: [{ org_slug: 'acme' }], errors: ['x'] }),
      'acme',
    );
    expect(own.results).toEqual([{ org_slug: 'acme' }]);
    expect(own.errors).toEqual(['x']);
  });

  it('reads results and errors stored as JSON text, and lists nothing for other text', () => {
    const results = [
      { org_slug: 'acme', provider: 'OPENAI', status: 'failed' },
      { org_slug: 'beta', provider: 'AZURE', status: 'triggered' },
    ];
    const errors = [{ org_slug: 'acme', error: 'x' }, 'beta: no key'];
    const platform = toBatchRun(
      batch({ results: JSON.stringify(results), errors: JSON.stringify(errors) }),
      'acme',
    );
    expect(platform).toMatchObject({
      results: [results[0]],
      errors: [errors[0]],
      status: 'PARTIAL',
      pipelines_failed: 1,
      // An org with an error was skipped by run-all (its key could not be read).
      orgs_processed: 0,
      orgs_skipped: 1,
    });
    const own = toBatchRun(batch({ org_slug: 'acme', results: '[{"a":1}]', errors: '["e"]' }), 'acme');
    expect({ results: own.results, errors: own.errors }).toEqual({ results: [{ a: 1 }], errors: ['e'] });
    for (const stored of ['not json', '{"a":1}', '"[]"', null])
      expect(toBatchRun(batch({ org_slug: 'acme', results: stored, errors: stored }), 'acme')).toMatchObject({
        results: [],
        errors: [],
      });
  });
});
