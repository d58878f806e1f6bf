import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pl from 'nodejs-polars';
import {
  holdOrgLifecycle,
  importCalls,
  type ImportTarget,
  startImportApp,
  uploadTo,
} from '#test/cost-import-calls';
import { aFocusFileRow, focusCsv, focusParquet, gzip } from '#test/focus-files';
import { onboardOrg } from '#test/org-onboarding';
import { until } from '#test/waiting';

const CSV = { 'content-type': 'text/csv' };
const ASYNC_CSV = { ...CSV, prefer: 'respond-async' };
const GZIP = { 'content-type': 'application/gzip' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

let target: ImportTarget;
const { upload, billed } = importCalls(() => target);

/** The upload folders in an app's imports folder (its instance's folder holds them), by name. */
const uploadFolders = (dataDir: string) => {
  const dir = path.join(dataDir, 'imports');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('instance-') && !name.endsWith('.lock'))
    .flatMap((instance) => fs.readdirSync(path.join(dir, instance)));
};
/** What uploads left in the app's imports temp folder (nothing once every import has ended). */
const importFiles = () => uploadFolders(target.t.dataDir);

const aFile = (billedCost: string) => focusCsv([aFocusFileRow({ BilledCost: billedCost })]);

/** An upload whose body is still arriving: a first chunk now, the rest at `finish()`. */
function heldUpload(to: ImportTarget, source: string) {
  const file = aFile('1');
  const body = new PassThrough();
  body.write(file.slice(0, 100));
  // Promise.resolve sends the request now (an inject chain is sent when it is awaited).
  const answer = Promise.resolve(uploadTo(to, body, CSV, `?source_system=${source}`));
  return { answer, finish: () => body.end(file.slice(100)) };
}

/** The import's status, polled at its status URL until `settled` accepts it. */
async function statusWhen(statusUrl: string, settled: (status: string) => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await target.t.app.inject({
      method: 'GET',
      url: statusUrl,
      headers: { 'x-api-key': target.key },
    });
    const { status } = res.json<{ status: string }>();
    if (settled(status) || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  target = await startImportApp('implim', 'Limits Co', { COST_IMPORT_MAX_CONCURRENT_UPLOADS: '2' });
});
afterAll(() => target?.t.close());

describe('cost import: one file of an org waits at a time', () => {
  it("refuses an org's second file while its first is being received (409 naming it), writing nothing of it", async () => {
    const first = heldUpload(target, 'pending_first');
    await until(() => importFiles().length === 1);

    const second = await upload(aFile('7'), CSV, '?source_system=pending_second');

    expect(second.statusCode, second.body).toBe(409);
    expect(second.json()).toMatchObject({
      code: 'COST_IMPORT_PENDING',
      detail: expect.stringContaining('is being received and checked'),
    });
    expect(importFiles()).toHaveLength(1);
    first.finish();
    const done = await first.answer;
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ import_id: second.json().import_id, status: 'completed' });
    expect(second.json()).not.toHaveProperty('status_url');
    expect(importFiles()).toEqual([]);

    const again = await upload(aFile('7'), CSV, '?source_system=pending_second');
    expect(again.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
    expect(await billed('pending_second')).toEqual({ n: 1, billed: 7 });
    expect(importFiles()).toEqual([]);
  });

  it('takes the next file while an import runs, refuses a third while that one waits its turn, and imports it after', async () => {
    // The org's lifecycle lease, as a re-sync holds it: the running import waits at its swap.
    const { release: resynced, ended: lifecycle } = await holdOrgLifecycle(target);
    try {
      const running = await upload(aFile('1'), ASYNC_CSV, '?source_system=turn_running');
      expect(running.statusCode, running.body).toBe(202);
      expect(await statusWhen(running.json().status_url, (s) => s !== 'queued')).toBe('processing');

      const waiting = await upload(aFile('2'), ASYNC_CSV, '?source_system=turn_waiting');
      expect(waiting.statusCode, waiting.body).toBe(202);
      const third = await upload(aFile('4'), CSV, '?source_system=turn_third');

      expect(third.statusCode, third.body).toBe(409);
      // Both files hold the instance's two slots until their imports end: another org's file is
      // refused too (a slot freed once a file was received let every org's files pile up on disk).
      const otherOrg = { ...target, ...(await onboardOrg(target.t, 'implimd', 'Limits D')) };
      const elsewhere = await uploadTo(otherOrg, aFile('8'), CSV, '?source_system=turn_other');
      expect(elsewhere.statusCode, elsewhere.body).toBe(503);
      expect(elsewhere.json()).toMatchObject({ code: 'COST_IMPORT_UPLOADS_BUSY' });
      expect(third.json()).toMatchObject({
        code: 'COST_IMPORT_PENDING',
        import_id: waiting.json().import_id,
        status_url: waiting.json().status_url,
        detail: expect.stringContaining('waiting for its turn'),
      });
      expect(importFiles()).toHaveLength(2);
      expect(await statusWhen(waiting.json().status_url, () => true)).toBe('queued');
      resynced();
      await lifecycle;
      expect(await statusWhen(waiting.json().status_url, (s) => s === 'completed')).toBe('completed');
    } finally {
      resynced();
    }
    await until(() => importFiles().length === 0);

    const again = await upload(aFile('4'), CSV, '?source_system=turn_third');
    expect(again.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
    expect(await billed('turn_running')).toEqual({ n: 1, billed: 1 });
    expect(await billed('turn_waiting')).toEqual({ n: 1, billed: 2 });
    expect(await billed('turn_third')).toEqual({ n: 1, billed: 4 });
    expect(importFiles()).toEqual([]);
  });
});

describe('cost import: files received at once on an instance', () => {
  it('refuses a file past COST_IMPORT_MAX_CONCURRENT_UPLOADS with 503 and Retry-After, writing nothing of it', async () => {
    const other = { ...target, ...(await onboardOrg(target.t, 'implimb', 'Limits B')) };
    const third = { ...target, ...(await onboardOrg(target.t, 'implimc', 'Limits C')) };
    const uploads = [heldUpload(target, 'cap_a'), heldUpload(other, 'cap_b')];
    await until(() => importFiles().length === 2);

    const refused = await uploadTo(third, aFile('3'), CSV, '?source_system=cap_c');

    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.headers['retry-after']).toBe('15');
    expect(refused.json()).toMatchObject({
      code: 'COST_IMPORT_UPLOADS_BUSY',
      retry_after_seconds: 15,
      detail: expect.stringContaining('holds 2 cost files already'),
    });
    expect(importFiles()).toHaveLength(2);
    for (const held of uploads) held.finish();
    for (const held of uploads) expect((await held.answer).json()).toMatchObject({ status: 'completed' });
    expect(importFiles()).toEqual([]);

    const again = await uploadTo(third, aFile('3'), CSV, '?source_system=cap_c');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
    expect(importFiles()).toEqual([]);
  });
});

describe('cost import: Parquet parts', () => {
  it('refuses more than 1000 Parquet files back to back, naming the limit, leaves no file, and imports the next upload', async () => {
    // A few hundred bytes each, a few kilobytes gzipped for the lot.
    const empty = pl.DataFrame({ a: [] }).writeParquet();
    const many = gzip(Buffer.concat(Array.from({ length: 1001 }, () => empty)));

    const res = await upload(many, GZIP, '?source_system=many_parts');

    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_TOO_MANY_PARTS',
      max_parts: 1000,
      detail: expect.stringContaining('more than 1000 Parquet files back to back'),
    });
    expect(importFiles()).toEqual([]);

    const parts = [
      focusParquet([aFocusFileRow({ BilledCost: '2' })]),
      focusParquet([aFocusFileRow({ BilledCost: '3' })]),
    ];
    const next = await upload(Buffer.concat(parts), PARQUET, '?source_system=many_parts');
    expect(next.statusCode, next.body).toBe(200);
    expect(next.json()).toMatchObject({ status: 'completed', rows_imported: 2 });
    expect(await billed('many_parts')).toEqual({ n: 2, billed: 5 });
    expect(importFiles()).toEqual([]);
  });
});

describe('cost import: how long an upload may take to arrive', () => {
  it('refuses a file still arriving after COST_IMPORT_RECEIVE_TIMEOUT_MS with 408, and frees its slot', async () => {
    // A byte every few seconds kept a connection past the idle timeout, and its slot for good.
    const slow = await startImportApp('implimt', 'Slow Co', {
      COST_IMPORT_RECEIVE_TIMEOUT_MS: '1000',
      COST_IMPORT_MAX_CONCURRENT_UPLOADS: '1',
    });
    try {
      const files = () => uploadFolders(slow.t.dataDir);
      const file = aFile('1');
      const body = new PassThrough();
      body.write(file.slice(0, 100));
      const trickle = setInterval(() => body.write(' '), 200);
      try {
        const res = await uploadTo(slow, body, CSV, '?source_system=slow_a');
        expect(res.statusCode, res.body).toBe(408);
        expect(res.headers.connection).toBe('close');
        expect(res.json()).toMatchObject({
          code: 'COST_IMPORT_UPLOAD_TIMEOUT',
          detail: expect.stringContaining('COST_IMPORT_RECEIVE_TIMEOUT_MS'),
        });
      } finally {
        clearInterval(trickle);
        body.end();
      }
      await until(() => files().length === 0);
      // Its slot (the only one) is free again: the next file is received and imported.
      const next = await uploadTo(slow, aFile('2'), CSV, '?source_system=slow_b');
      expect(next.statusCode, next.body).toBe(200);
      expect(next.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
    } finally {
      await slow.t.close();
    }
  });
});
