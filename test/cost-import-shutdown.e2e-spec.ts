import { CostImportRepository } from '../apps/api/src/cost-import/cost-import.repository.js';
import { ImportRunner } from '../apps/api/src/cost-import/import-runner.js';
import { ImportReportRepository } from '../apps/api/src/cost-import/import-report.repository.js';
import type { ImportJob } from '../apps/api/src/cost-import/import-job.js';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { onboardOrg } from '#test/org-onboarding';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';

/** On a real (ephemeral) port: the drain waits for requests on a real connection only. */
let PORT = 0;

/** A month of rows: an import that takes a moment, so the app is closed while it runs. */
const file = () =>
  focusCsv(
    Array.from({ length: 5_000 }, (_, i) =>
      aFocusFileRow({ BilledCost: '1.25', day: `2025-03-${String((i % 28) + 1).padStart(2, '0')}` }),
    ),
  );

/** `n` rows over March 2025. */
const rows = (n: number) =>
  focusCsv(
    Array.from({ length: n }, (_, i) =>
      aFocusFileRow({ BilledCost: '1', day: `2025-03-${String((i % 28) + 1).padStart(2, '0')}` }),
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

  it('stops a background import that a synchronous import of the org waits behind, so the drain ends', async () => {
    const t = await startTestApp({ SHUTDOWN_GRACE_MS: '10000' });
    const { org, key } = await onboardOrg(t, 'impdrain', 'Drain Co');
    const runner = t.app.get(ImportRunner);
    const repository = t.app.get(CostImportRepository);
    const insert = repository.insertStage.bind(repository);
    // A slow warehouse: each staging batch takes up to 20 s, and stops early once the import is
    // told to stop (it would then stop at its next batch).
    vi.spyOn(repository, 'insertStage').mockImplementation(async (...args) => {
      const deadline = Date.now() + 20_000;
      while (!runner.shutdown.stopping && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return insert(...args);
    });
    PORT = await listenOnLoopback(t.app);
    const url = `/api/v1/admin/organizations/${org}/costs/import?source_system=drain`;
    const background = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': key, 'content-type': 'text/csv', prefer: 'respond-async' },
      payload: rows(60_000),
    });
    expect(background.statusCode).toBe(202);
    const statusUrl = background.json().status_url as string;
    for (let i = 0; i < 200; i++) {
      const r = await t.app.inject({ method: 'GET', url: statusUrl, headers: { 'x-api-key': key } });
      if (r.json().status === 'processing') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A small file sent over HTTP, answered once imported: it waits for the background import.
    const waiting = fetch(`http://127.0.0.1:${PORT}${url}`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'text/csv' },
      body: rows(10),
    }).then(async (res) => ({ status: res.status, body: await res.text() }));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const started = performance.now();
    await t.close();
    const closedIn = performance.now() - started;
    const answer = await waiting;

    // The drain waited for the background import to run to its end (82 s here), past the grace:
    // the process was killed with the engines open, the import's report left processing.
    expect(closedIn).toBeLessThan(8_000);
    expect(answer.status, answer.body).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'COST_IMPORT_INTERRUPTED' });
  }, 90_000);
});
