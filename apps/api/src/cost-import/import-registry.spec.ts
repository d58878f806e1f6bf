import { randomUUID } from 'node:crypto';
import { PgliteTenancyDb } from '#tenancy-db';
import { OrgLeases } from '../common/org-lease.js';
import { type ImportJob, queuedJob } from './import-job.js';
import {
  ImportedRows,
  ImportRegistry,
  REPORT_HEARTBEAT_MS,
  REPORT_STALE_AFTER_MS,
} from './import-registry.js';
import { ImportReportRepository } from './import-report.repository.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function aJob(org: string, extra: Partial<ImportJob> = {}): ImportJob {
  const job = queuedJob({
    id: randomUUID(),
    org,
    sourceSystem: 'focus_import',
    credentialId: 'manual',
    onError: 'reject',
    format: 'csv',
    gzip: false,
    focusVersion: '1.3',
    fileBytes: 1234,
    columnMappings: [{ from: 'ProviderName', to: 'ServiceProviderName' }],
    ignoredColumns: ['x_extra'],
  });
  return { ...job, ...extra };
}

/** A repository whose next `failures` saves fail, as when the tenancy DB is briefly unreachable. */
class FlakyReports extends ImportReportRepository {
  failures = 0;
  override async save(job: ImportJob, now: Date): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('tenancy DB unreachable');
    }
    return super.save(job, now);
  }
}

/** The cost table's rows per import run id, as the swap leaves them; `down` makes the read fail. */
class LandedRows extends ImportedRows {
  readonly runs = new Map<string, number>();
  down = false;
  count(_org: string, runId: string): Promise<number> {
    if (this.down) return Promise.reject(new Error('warehouse unreachable'));
    return Promise.resolve(this.runs.get(runId) ?? 0);
  }
}

let db: PgliteTenancyDb;
const landed = new LandedRows();
/** Two instances of the API: each its own registry, one tenancy DB. */
let first: ImportRegistry;
let second: ImportRegistry;
let flaky: FlakyReports;

beforeAll(async () => {
  db = await PgliteTenancyDb.open({ schema: 'imports' });
  await db.migrate();
  flaky = new FlakyReports(db);
  first = new ImportRegistry(flaky, new OrgLeases(db), landed);
  second = new ImportRegistry(new ImportReportRepository(db), new OrgLeases(db), landed);
});
afterAll(async () => {
  first.onApplicationShutdown();
  second.onApplicationShutdown();
  await db.close();
});

describe('ImportRegistry reports', () => {
  it('lets another instance follow an import from its start to its end', async () => {
    const job = aJob('org_follow');
    await first.add(job);
    expect(await second.find('org_follow', job.id)).toMatchObject({ id: job.id, status: 'queued' });

    job.status = 'processing';
    job.startedAt = new Date();
    job.rowsRead = 25_000;
    await first.changed(job);
    expect(await second.find('org_follow', job.id)).toMatchObject({ status: 'processing', rowsRead: 25_000 });

    job.status = 'completed_with_errors';
    job.rowsRead = 30_000;
    job.rowsImported = 29_999;
    job.rowsRejected = 1;
    job.errors = [{ row: 17, column: 'BilledCost', message: 'not a decimal' }];
    job.chargePeriod = { start: '2025-03-01', end: '2025-04-01' };
    job.finishedAt = new Date();
    await first.finished(job);

    // The same report, dates included, from the DB (the first instance has let it go too).
    expect(await second.find('org_follow', job.id)).toEqual(job);
    expect(await first.find('org_follow', job.id)).toEqual(job);
    expect(first.running()).toEqual([]);
  });

  it('answers "not found" for another org\'s import and for an unknown id', async () => {
    const job = aJob('org_owner');
    await first.add(job);
    expect(await first.find('org_other', job.id)).toBeUndefined();
    expect(await second.find('org_other', job.id)).toBeUndefined();
    expect(await second.find('org_owner', randomUUID())).toBeUndefined();
    job.status = 'failed';
    job.finishedAt = new Date();
    await first.finished(job);
  });

  it('reports an import whose instance stopped writing as interrupted, leaving finished ones alone', async () => {
    const reports = new ImportReportRepository(db);
    const lastSeen = new Date(Date.now() - REPORT_STALE_AFTER_MS - 1_000);
    const abandoned = aJob('org_crash', { status: 'processing', startedAt: lastSeen, rowsRead: 50_000 });
    await reports.insert(abandoned, lastSeen);
    const done = aJob('org_crash', { status: 'completed', finishedAt: lastSeen });
    await reports.insert(done, lastSeen);

    expect(await second.find('org_crash', abandoned.id)).toMatchObject({
      status: 'failed',
      rowsRead: 50_000,
      finishedAt: lastSeen,
      failure: { code: 'COST_IMPORT_INTERRUPTED' },
    });
    expect(await second.find('org_crash', done.id)).toMatchObject({ status: 'completed', failure: null });
  });

  it('reports a stopped import as completed when its rows are in the cost table (it died after the swap)', async () => {
    const reports = new ImportReportRepository(db);
    const lastSeen = new Date(Date.now() - REPORT_STALE_AFTER_MS - 1_000);
    const swapped = aJob('org_late', { status: 'processing', startedAt: lastSeen, rowsRead: 700 });
    await reports.insert(swapped, lastSeen);
    landed.runs.set(swapped.id, 700);
    expect(await second.find('org_late', swapped.id)).toMatchObject({
      status: 'completed',
      rowsImported: 700,
      failure: null,
    });
    landed.down = true;
    try {
      const unknown = await second.find('org_late', swapped.id);
      expect(unknown).toMatchObject({ status: 'failed', failure: { code: 'COST_IMPORT_INTERRUPTED' } });
      expect(unknown?.failure?.message).toContain('could not be checked');
    } finally {
      landed.down = false;
    }
  });

  it('keeps a finished import whose last write failed in memory, and stores it at the next heartbeat', async () => {
    const job = aJob('org_flaky');
    await first.add(job);
    flaky.failures = 1;
    job.status = 'completed';
    job.finishedAt = new Date();
    await first.finished(job);

    expect(await first.find('org_flaky', job.id)).toMatchObject({ status: 'completed' });
    expect(await second.find('org_flaky', job.id)).toMatchObject({ status: 'queued' });
    await new Promise((resolve) => setTimeout(resolve, REPORT_HEARTBEAT_MS + 500));
    expect(await second.find('org_flaky', job.id)).toMatchObject({ status: 'completed' });
  });

  it("forgets the org's finished reports after 30 days, when the org starts another import", async () => {
    const reports = new ImportReportRepository(db);
    const old = new Date(Date.now() - 31 * 86_400_000);
    const oldDone = aJob('org_prune', { status: 'completed', createdAt: old, finishedAt: old });
    const oldElsewhere = aJob('org_keep', { status: 'completed', createdAt: old, finishedAt: old });
    const recent = aJob('org_prune', { status: 'failed', finishedAt: new Date() });
    for (const job of [oldDone, oldElsewhere, recent]) await reports.insert(job, job.createdAt);

    const next = aJob('org_prune');
    await first.add(next);
    expect(await second.find('org_prune', oldDone.id)).toBeUndefined();
    expect(await second.find('org_prune', recent.id)).toMatchObject({ status: 'failed' });
    expect(await second.find('org_keep', oldElsewhere.id)).toMatchObject({ status: 'completed' });
    next.status = 'failed';
    next.finishedAt = new Date();
    await first.finished(next);
  });

  it("forgets the org's reports for offboarding", async () => {
    const job = aJob('org_leaving', { status: 'completed', finishedAt: new Date() });
    await second.add(job);
    await second.finished(job);
    expect(await first.deleteForOrg('org_leaving')).toBe(1);
    expect(await first.find('org_leaving', job.id)).toBeUndefined();
  });
});

describe('ImportRegistry.exclusive', () => {
  it('runs the imports of one org one after the other, in arrival order', async () => {
    const events: string[] = [];
    const job = (name: string) =>
      first.exclusive('org_a', async () => {
        events.push(`${name} start`);
        await tick();
        events.push(`${name} end`);
      });

    await Promise.all([job('first'), job('second'), job('third')]);

    expect(events).toEqual([
      'first start',
      'first end',
      'second start',
      'second end',
      'third start',
      'third end',
    ]);
  });

  it('takes turns with the other instances, lets another org run meanwhile, and survives a failure', async () => {
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const failing = first.exclusive('org_b', async () => {
      events.push('first instance start');
      await held;
      events.push('first instance end');
      throw new Error('boom');
    });
    await tick();
    const elsewhere = second.exclusive('org_b', async () => {
      events.push('second instance start');
    });
    const other = second.exclusive('org_c', async () => {
      events.push('other org');
    });
    await other;
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();

    await expect(failing).rejects.toThrow('boom');
    await elsewhere;
    expect(events).toEqual([
      'first instance start',
      'other org',
      'first instance end',
      'second instance start',
    ]);
  });

  it('stops waiting for its turn when the instance shuts down', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = first.exclusive('org_d', () => held);
    await tick();
    let stopping = false;
    const waiting = second.exclusive(
      'org_d',
      () => Promise.resolve('ran'),
      () => (stopping ? new Error('shutting down') : null),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // refused once: now waiting its turn
    stopping = true;
    await expect(waiting).rejects.toThrow('shutting down');
    release();
    await running;
  });
});
