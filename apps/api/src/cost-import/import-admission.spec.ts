import { CostImportError } from './cost-import.errors.js';
import type { CostImportOptions } from './cost-import.options.js';
import { UploadAdmission } from './import-admission.js';

const admission = (maxConcurrentUploads: number) =>
  new UploadAdmission({ maxConcurrentUploads } as CostImportOptions);

const refusal = (admit: () => unknown) => {
  try {
    admit();
  } catch (error) {
    if (error instanceof CostImportError) return { code: error.code, headers: error.headers };
    throw error;
  }
  return null;
};

describe('upload admission', () => {
  it('holds an upload slot until its import ends, not only while it is received; gives it back once', () => {
    const uploads = admission(2);
    const a = uploads.admit('org_a', 'id-a');
    uploads.admit('org_b', 'id-b');
    expect(refusal(() => uploads.admit('org_c', 'id-c'))).toEqual({
      code: 'COST_IMPORT_UPLOADS_BUSY',
      headers: { 'Retry-After': '15', Connection: 'close' },
    });
    // Received, waiting and running, its files are still on disk.
    a.recorded();
    a.started();
    expect(refusal(() => uploads.admit('org_c', 'id-c'))).toMatchObject({ code: 'COST_IMPORT_UPLOADS_BUSY' });
    a.release();
    a.release();
    uploads.admit('org_c', 'id-c');
    expect(refusal(() => uploads.admit('org_d', 'id-d'))).toMatchObject({ code: 'COST_IMPORT_UPLOADS_BUSY' });
  });

  it("keeps the org's place until its import's turn comes, not until the import ends", () => {
    const uploads = admission(5);
    const first = uploads.admit('org_a', 'id-1');
    first.recorded();
    expect(refusal(() => uploads.admit('org_a', 'id-2'))).toMatchObject({ code: 'COST_IMPORT_PENDING' });
    first.started();
    const second = uploads.admit('org_a', 'id-2');
    // The first import ending does not free the place its successor holds.
    first.release();
    expect(refusal(() => uploads.admit('org_a', 'id-3'))).toMatchObject({ code: 'COST_IMPORT_PENDING' });
    second.release();
    uploads.admit('org_a', 'id-3');
  });
});
