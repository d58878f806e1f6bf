import { expectProblem } from '#test/org-onboarding';
import { offboardingApp } from '#test/offboarding-app';

interface AuditLine {
  action: string;
  status: string;
  [field: string]: unknown;
}

describe('a failed offboarding in the audit trail', () => {
  const { h, logs, onboard, offboard } = offboardingApp();

  /** The warehouse refuses the DELETE of `table`'s rows while `run` runs. */
  const failingAt = async <T>(table: string, run: () => Promise<T>): Promise<T> => {
    const execute = h.warehouse.execute.bind(h.warehouse);
    h.warehouse.execute = (sql, params, options) =>
      sql.includes(table) && sql.trim().startsWith('DELETE')
        ? Promise.reject(new Error('warehouse hiccup'))
        : execute(sql, params, options);
    try {
      return await run();
    } finally {
      h.warehouse.execute = execute;
    }
  };

  const auditLinesOf = (org: string): AuditLine[] =>
    logs.lines
      .map((l) => String((JSON.parse(l) as { message?: unknown }).message ?? ''))
      .filter((m) => m.startsWith('audit ') && m.includes(`"resource_id":"${org}"`))
      .map((m) => JSON.parse(m.slice('audit '.length)) as AuditLine);

  it('records a FAILURE entry in the org audit log when it stopped before that log was emptied', async () => {
    const { org } = await onboard();
    const failed = await failingAt('org_notification_rules', () =>
      h.root(
        'DELETE',
        `/api/v1/organizations/${org}`,
        { confirm_org_slug: org },
        { 'x-request-id': `off-${org}` },
      ),
    );
    expectProblem(failed, 500, 'OFFBOARDING_FAILED');
    // The org's keys are gone already: the org stands without them, and the trail must say why.
    const listed = await h.root('GET', `/api/v1/admin/audit-logs/${org}?action=DELETE`);
    expect(listed.json().logs).toEqual([
      expect.objectContaining({
        action: 'DELETE',
        resource_type: 'ORGANIZATION',
        resource_id: org,
        status: 'FAILURE',
        request_id: `off-${org}`,
        error_message: expect.stringContaining('org_notification_rules'),
        details: expect.objectContaining({
          step: 'central table org_notification_rules',
          deleted_from_tables: expect.arrayContaining(['org_api_keys']),
        }),
      }),
    ]);
  });

  it('logs the FAILURE as the audit line of a removal when the org audit log was emptied already', async () => {
    const { org } = await onboard();
    const failed = await failingAt('org_profiles', () => offboard(org, { confirm_org_slug: org }));
    expectProblem(failed, 500, 'OFFBOARDING_FAILED');
    expect(failed.json().step).toBe('org profile');
    expect(auditLinesOf(org)).toEqual([
      expect.objectContaining({
        action: 'DELETE',
        resource_type: 'ORGANIZATION',
        status: 'FAILURE',
        error_message: expect.stringContaining('org profile'),
        details: expect.objectContaining({ step: 'org profile' }),
      }),
    ]);
    // Nothing written to the emptied log: it would outlive the org if the next run removes it.
    const listed = await h.root('GET', `/api/v1/admin/audit-logs/${org}`);
    expect(listed.json().logs).toEqual([]);
  });
});
