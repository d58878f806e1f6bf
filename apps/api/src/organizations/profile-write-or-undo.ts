import type { Logger } from '@nestjs/common';
import { writeOutcomeUnknown } from '#warehouse';
import { engineOutage } from './engine-outage.js';
import type { OrgTenancyService, TenancyWrite } from './org-tenancy.service.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

/** What a change that writes the tenancy DB and then the profile says when the profile write fails. */
export interface ProfileWriteFailure {
  /** For the log: `Subscription of acme`. */
  subject: string;
  /** The 503/504's detail when an engine did not answer and the tenancy write was taken back. */
  outage: string;
  code: OrganizationsErrorCode;
  /** The error's detail otherwise: `undone` says whether the tenancy write was taken back whole. */
  failed(undone: boolean): string;
}

/**
 * Runs a change's tenancy-DB write (`tenancyWrite`, which fills in `write`: see
 * OrgTenancyService.upsert) and then its profile write (a subscription PUT, a re-sync), taking the
 * tenancy write back when either fails: left in place, the quotas enforced the new plan while the
 * profile (and the org list) named the old one. A tenancy write that failed may have taken effect
 * all the same (a statement that timed out, or a connection cut, after its commit): it is taken back
 * too, as an onboarding's is. A profile write whose outcome is unknown (a BigQuery job cancelled at
 * its deadline and not seen to end) may still land after the limits were put back, and an undo may
 * fail: either is said to have perhaps changed something (`changed: "unknown"`, send the same
 * request again); one taken back whole after an engine that did not answer is that engine's
 * 503/504. Any other refusal of the tenancy write, taken back whole, is answered as it was.
 */
export async function tenancyThenProfileOrUndo(
  tenancy: OrgTenancyService,
  write: TenancyWrite,
  logger: Logger,
  failure: ProfileWriteFailure,
  tenancyWrite: () => Promise<unknown>,
  profileWrite: () => Promise<unknown>,
): Promise<void> {
  let tenancyFailed = true;
  try {
    await tenancyWrite();
    tenancyFailed = false;
    await profileWrite();
  } catch (cause) {
    const restored = await tenancy.undo(write).then(
      () => true,
      (undoErr: unknown) => {
        logger.error(`${failure.subject}: tenancy row could not be restored: ${String(undoErr)}`);
        return false;
      },
    );
    const undone = restored && !writeOutcomeUnknown(cause);
    const outage = undone && engineOutage(cause, failure.outage, { changed: false });
    if (outage) throw outage;
    if (undone && tenancyFailed) throw cause;
    throw new OrganizationsError(failure.code, failure.failed(undone), {
      cause,
      extra: { changed: undone ? false : 'unknown' },
    });
  }
}

/** What a re-sync says when its profile write fails (profileWriteOrUndo). */
export const resyncFailure = (org: string): ProfileWriteFailure => ({
  subject: `Re-sync of ${org}`,
  outage:
    `The re-sync of '${org}' stopped: a store it writes to did not answer. ` +
    'Its plan, limits and contact were left as they were; send the request again.',
  code: OrganizationsErrorCode.OnboardingFailed,
  failed: (undone) =>
    undone
      ? `The re-sync of '${org}' failed; its plan, limits and contact were left as they were.`
      : `The re-sync of '${org}' failed, and part of it may already apply; send the same request again.`,
});
