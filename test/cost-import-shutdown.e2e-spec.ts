import { ImportReportRepository } from '../apps/api/src/cost-import/import-report.repository.js';
import type { ImportJob } from '../apps/api/src/cost-import/import-job.js';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { onboardOrg } from '#test/org-onboarding';
import { startTestApp } from '#test/test-app';

/** A month of rows: an import that takes a moment, so the app is closed while it runs. */
const file = () =>
  focusCsv(
    Array.from({ length: 5_000 }, (_, i) =>
      aFocusFileRow({ BilledCost: '1.25', day: `2025-03-${String((i % 28) + 1).padStart(2, '0')}` }),
    ),
  );

describe('cost import at shutdown (SIGTERM)', () => {
  it('stores the last report of an import the shutdown stopped before the tenancy DB closes', async () => {
    const t = await startTestApp();
    const { org, key } = await onboardOrg(t, 'impstop', 'Stopping Co');
    const reports = t.app.get(ImportReportRepository);
    const save = reports.save.bind(reports);
    const saved: { status: string; stored: boolean }[] = [];
    // A tenancy DB a few hundred ms away (a remote Supabase): the write outlasts a poll of the job.
    vi.spyOn(reports, 'save').mockImplementation(async (job: ImportJob, now: Date) => {
      const status = job.status;
      await new Promise((resolve) => setTimeout(resolve, 300));
      try {
        await save(job, now);
        saved.push({ status, stored: true });
      } catch (error) {
        saved.push({ status, stored: false });
        throw error;
      }
    });

    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/costs/import?source_system=stopping`,
      headers: { 'x-api-key': key, 'content-type': 'text/csv', prefer: 'respond-async' },
      payload: file(),
    });
    expect(res.statusCode).toBe(202);
    await t.close();

    // The last write is the finished report (failed as interrupted, or completed when it beat the
    // shutdown): a restart reads it, instead of "processing" for a minute and a guess after that.
    expect(saved.at(-1)).toMatchObject({ stored: true });
    expect(['failed', 'completed']).toContain(saved.at(-1)?.status);
  }, 60_000);
});
