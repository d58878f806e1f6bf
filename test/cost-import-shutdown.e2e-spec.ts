import { ImportReportRepository } from '../apps/api/src/cost-import/import-report.repository.js';
import type { ImportJob } from '../apps/api/src/cost-import/import-job.js';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { onboardOrg } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

/** A month of rows: an import that takes a moment, so the app is closed while it runs. */
const file = () =>
  focusCsv(
    Array.from({ length: 5_000 }, (_, i) =>
      aFocusFileRow({ BilledCost: '1.25', day: `2025-03-${String((i % 28) + 1).padStart(2, '0')}` }),
    ),
  );

/** An import of `file()` answered at once (202), which runs on after the answer. */
const importAsync = (t: TestApp, org: string, key: string, source: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/organizations/${org}/costs/import?source_system=${source}`,
    headers: { 'x-api-key': key, 'content-type': 'text/csv', prefer: 'respond-async' },
    payload: file(),
  });

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

    expect((await importAsync(t, org, key, 'stopping')).statusCode).toBe(202);
    await t.close();

    // The last write is the finished report (failed as interrupted, or completed when it beat the
    // shutdown): a restart reads it, instead of "processing" for a minute and a guess after that.
    expect(saved.at(-1)).toMatchObject({ stored: true });
    expect(['failed', 'completed']).toContain(saved.at(-1)?.status);
  }, 60_000);

  it('waits for an import that does not stop only until near the grace, so the engines close before it ends', async () => {
    // Grace 4 s: runs are waited for until 2 s into the shutdown (half of it, under twice the margin).
    const t = await startTestApp({ SHUTDOWN_GRACE_MS: '4000' });
    const { org, key } = await onboardOrg(t, 'impstuck', 'Stuck Co');
    const reports = t.app.get(ImportReportRepository);
    const save = reports.save.bind(reports);
    let answered = false;
    // Once the import has been accepted, its report writes never end (a tenancy DB that stopped
    // answering): the run cannot settle.
    vi.spyOn(reports, 'save').mockImplementation((job: ImportJob, now: Date) =>
      answered ? new Promise<void>(() => undefined) : save(job, now),
    );
    expect((await importAsync(t, org, key, 'stuck')).statusCode).toBe(202);
    answered = true;
    const started = performance.now();
    await t.close();
    // 20 s before: past Cloud Run's 10 s grace, the process was killed with the engines open.
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
