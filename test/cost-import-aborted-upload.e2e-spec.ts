import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { importCalls, type ImportTarget, startImportApp } from '#test/cost-import-calls';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { listenOnLoopback } from '#test/test-app';
import { until } from '#test/waiting';
import { CostImportRepository } from '../apps/api/src/cost-import/cost-import.repository.js';
import { UploadAdmission } from '../apps/api/src/cost-import/import-admission.js';

const CSV = { 'content-type': 'text/csv' };

let target: ImportTarget;
let port = 0;
const { upload } = importCalls(() => target);

/** The upload folders left in the app's imports folder (none once every upload has ended). */
const importFiles = () => {
  const dir = path.join(target.t.dataDir, 'imports');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('instance-') && !name.endsWith('.lock'))
    .flatMap((instance) => fs.readdirSync(path.join(dir, instance)));
};

/** Sends an upload's headers and its first bytes, then hangs up: a cancelled upload. */
function abandonedUpload(source: string): { gone: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1', () =>
    socket.write(
      `POST /api/v1/admin/organizations/${target.org}/costs/import?source_system=${source} HTTP/1.1\r\n` +
        `Host: api\r\nX-API-Key: ${target.key}\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n` +
        'BilledCost,BillingAccountId',
    ),
  );
  socket.on('error', () => undefined);
  return { gone: new Promise((resolve) => setTimeout(() => resolve(void socket.destroy()), 100)) };
}

beforeAll(async () => {
  // The receive timeout (10 minutes by default) is what freed such an upload's places: far past
  // this spec's wait.
  target = await startImportApp('impabort', 'Abort Co', { COST_IMPORT_MAX_CONCURRENT_UPLOADS: '1' });
  port = await listenOnLoopback(target.t.app);
});
afterAll(() => target?.t.close());

describe('cost import: an upload whose client hung up before its body was read', () => {
  it("gives back the org's pending place and the instance's slot at once, keeping no file", async () => {
    // The client hangs up while the import looks its org up (a warehouse query), before a byte of
    // the body is read: the request stream is destroyed by then, and never ends nor fails later.
    const repository = target.t.app.get(CostImportRepository);
    const findTarget = repository.findTarget.bind(repository);
    const admitted = vi.spyOn(target.t.app.get(UploadAdmission), 'admit');
    let hungUp: Promise<void> | undefined;
    const spy = vi.spyOn(repository, 'findTarget').mockImplementationOnce(async (org) => {
      await hungUp;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return findTarget(org);
    });
    try {
      hungUp = abandonedUpload('abandoned').gone;
      await until(() => spy.mock.calls.length === 1);
      await hungUp;
      // Its org found, its upload admitted (its places taken).
      await until(() => admitted.mock.calls.length === 1);

      const file = focusCsv([aFocusFileRow({ BilledCost: '3' })]);
      let next = await upload(file, CSV, '?source_system=after_abandoned');
      for (const deadline = Date.now() + 3_000; next.statusCode !== 200 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        next = await upload(file, CSV, '?source_system=after_abandoned');
      }

      expect(next.statusCode, next.body).toBe(200);
      expect(next.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
      await until(() => importFiles().length === 0);
    } finally {
      spy.mockRestore();
      admitted.mockRestore();
    }
  });
});
