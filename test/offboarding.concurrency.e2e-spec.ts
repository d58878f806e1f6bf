import { expectProblem } from '#test/org-onboarding';
import { offboardingApp } from '#test/offboarding-app';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { holdOrgLifecycle } from '#test/cost-import-calls';
import { rootHeaders } from '#test/test-app';
import { AuditService } from '../apps/api/src/audit/audit.service.js';
import { OrgLeases } from '../apps/api/src/common/org-lease.js';
import { CostImportRepository } from '../apps/api/src/cost-import/cost-import.repository.js';
import type { ImportJob } from '../apps/api/src/cost-import/import-job.js';
import { ImportRunner } from '../apps/api/src/cost-import/import-runner.js';

describe('offboarding', () => {
  const suite = offboardingApp();
  const { h, onboard, offboard } = suite;
  const { root, centralCounts } = h;

  it('waits for a change of the org already running, and refuses one that starts while it runs', async () => {
    const { org } = await onboard();
    const audit = h.app.get(AuditService);
    const deleteForOrg = audit.deleteForOrg.bind(audit);
    let auditDeleted = false;
    audit.deleteForOrg = (o: string) => {
      auditDeleted = true;
      return deleteForOrg(o);
    };
    try {
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      // A change still running when the removal starts; it writes its audit entry last, as they all do.
      const change = h.app.get(OrgLeases).write(org, async () => {
        entered();
        await held;
        await audit.record({
          orgSlug: org,
          action: 'UPDATE',
          resourceType: 'ORGANIZATION',
          resourceId: org,
          status: 'SUCCESS',
          actor: { apiKeyId: null, userId: null, requestId: 'held-change', ipAddress: null, userAgent: null },
        });
      });
      await inside;
      const removal = offboard(org, { confirm_org_slug: org, delete_dataset: true });
      for (let waited = 0; waited < 1_500 && !auditDeleted; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(auditDeleted).toBe(false);
      // A change that starts now is refused rather than written after the removal's deletes.
      for (const [method, url, body] of [
        ['PUT', `/api/v1/organizations/${org}/locale`, { default_currency: 'EUR' }],
        ['PUT', `/api/v1/organizations/${org}/subscription`, { plan_name: 'SCALE' }],
        ['POST', `/api/v1/organizations/${org}/api-key/rotate`, {}],
      ] as const) {
        const refused = await root(method, url, body);
        expectProblem(refused, 409, 'ORG_LIFECYCLE_IN_PROGRESS');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      finish();
      await change;
      expect((await removal).statusCode).toBe(200);
      expect(await h.countRows('org_audit_logs', org)).toBe(0);
    } finally {
      audit.deleteForOrg = deleteForOrg;
    }
  });

  it('leaves no row of a change racing it: nothing of the org is left, whatever each change was answered', async () => {
    const { org } = await onboard();
    const change = (i: number) =>
      i % 2
        ? root('PUT', `/api/v1/organizations/${org}/subscription`, {
            plan_name: 'SCALE',
            daily_limit: 10 + i,
          })
        : root('PUT', `/api/v1/organizations/${org}/locale`, { default_currency: i % 4 ? 'EUR' : 'JPY' });
    const changes = [0, 1, 2].map(async (lane) => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await change(lane * 10 + i)).statusCode);
      return statuses;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const removal = await offboard(org, { confirm_org_slug: org, delete_dataset: true });
    expect([200, 409]).toContain(removal.statusCode);
    const statuses = (await Promise.all(changes)).flat();
    expect(statuses.filter((s) => ![200, 404, 409].includes(s))).toEqual([]);
    // A removal refused while changes ran is simply sent again.
    if (removal.statusCode === 409)
      expect((await offboard(org, { confirm_org_slug: org })).statusCode).toBe(200);
    expect(Object.entries(await centralCounts(org)).filter(([, n]) => n > 0)).toEqual([]);
    expect(await h.tenancyRow(org)).toBeUndefined();
  });

  /**
   * An import of one row (BilledCost 9) that waits in its staging step, past its 202, until
   * `release`; `finished` ends with the run, `job()` is its report. `restore` undoes the patches.
   */
  const heldImport = async (org: string) => {
    const repository = h.app.get(CostImportRepository);
    const runner = h.app.get(ImportRunner);
    const [createStage, run] = [repository.createStage.bind(repository), runner.run.bind(runner)];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const staging = new Promise<void>((resolve) => (entered = resolve));
    repository.createStage = async (...args) => {
      entered();
      await held;
      return createStage(...args);
    };
    let job: ImportJob | undefined;
    let finished: Promise<void> | undefined;
    runner.run = (j, prepared) => {
      job = j;
      return (finished = run(j, prepared));
    };
    const accepted = await h.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/costs/import?source_system=late_src`,
      headers: { ...rootHeaders, 'content-type': 'text/csv', prefer: 'respond-async' },
      payload: focusCsv([aFocusFileRow({ BilledCost: '9' })]),
    });
    expect(accepted.statusCode, accepted.body).toBe(202);
    await staging;
    return {
      release,
      finished: () => finished,
      job: () => job,
      restore: () => {
        repository.createStage = createStage;
        runner.run = run;
      },
    };
  };
  const importedRows = async (org: string) => {
    const [kept] = await h.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM \`${org}_local.cost_data_standard_1_3\``,
    );
    return Number(kept.n);
  };

  it('keeps no row of an import still running when the org was removed, in the dataset it kept', async () => {
    const { org } = await onboard();
    const running = await heldImport(org);
    try {
      expect((await offboard(org, { confirm_org_slug: org })).statusCode).toBe(200);
      running.release();
      await running.finished();
      expect(running.job()).toMatchObject({
        status: 'failed',
        failure: { code: 'COST_IMPORT_ORG_NOT_PROVISIONED' },
      });
      expect(await importedRows(org)).toBe(0);
    } finally {
      running.restore();
    }
  });

  it("lets an import's swap wait for a creation or re-sync of its org rather than fail", async () => {
    const { org } = await onboard();
    const running = await heldImport(org);
    try {
      // The org's lifecycle lease, as a re-sync holds it, until the import has reached its swap.
      // Taken before the import goes on (the claim is a round trip: the import could win it).
      const { release: resynced, ended: lifecycle } = await holdOrgLifecycle({ t: suite.t, org });
      running.release();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(running.job()?.status).toBe('processing');
      resynced();
      await lifecycle;
      await running.finished();
      expect(running.job()).toMatchObject({ status: 'completed', rowsImported: 1 });
      expect(await importedRows(org)).toBe(1);
    } finally {
      running.restore();
    }
  });
});
