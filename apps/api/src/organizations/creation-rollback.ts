import type { Logger } from '@nestjs/common';
import type { DomainError } from '#platform';
import type { AuditActor } from '../audit/audit-actor.js';
import type { AuditService } from '../audit/audit.service.js';
import { engineOutage } from './engine-outage.js';
import type { CompensatingSteps, StepFailedError } from './compensating-steps.js';
import { writeOutcomeUnknown } from '#warehouse';
import type { OrgTenancyService, TenancyWrite } from './org-tenancy.service.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

export interface CreationFailure {
  org: string;
  failure: StepFailedError;
  steps: CompensatingSteps;
  actor: AuditActor;
  code: OrganizationsErrorCode.OnboardingFailed | OrganizationsErrorCode.OrgCreationFailed;
  /** "Onboarding", "Create": how log lines name the operation. */
  operation: string;
}

/**
 * Takes back every step of a failed org creation, records the FAILURE in the audit log and returns
 * the error for the client: which step failed, and whether everything could be taken back (a step
 * that could not be is named, so an operator knows what to clean up). An engine outage taken back
 * whole answers as the outage (503/504, see engineOutage).
 */
export async function rollBackCreation(
  audit: AuditService,
  logger: Logger,
  { org, failure, steps, actor, code, operation }: CreationFailure,
): Promise<DomainError> {
  logger.error(`${operation} of ${org} failed at ${failure.step}: ${String(failure.cause)}`);
  const notUndone = await steps.rollback((step, undoErr) =>
    logger.error(`${operation} of ${org}: could not undo ${step}: ${String(undoErr)}`),
  );
  const outcome = {
    step: failure.step,
    rolled_back: notUndone.length === 0,
    ...(notUndone.length ? { not_rolled_back: notUndone } : {}),
  };
  await audit.record({
    orgSlug: org,
    action: 'CREATE',
    resourceType: 'ORGANIZATION',
    resourceId: org,
    status: 'FAILURE',
    errorMessage: `${failure.step} failed`,
    details: outcome,
    actor,
  });
  const outage =
    notUndone.length === 0 &&
    engineOutage(
      failure.cause,
      `${operation} of '${org}' stopped at ${failure.step}: a store it writes to did not answer. ` +
        'Nothing of it was kept; send the request again.',
      outcome,
    );
  if (outage) return outage;
  return new OrganizationsError(code, `${operation} of '${org}' failed at ${failure.step}.`, {
    extra: outcome,
    cause: failure.cause,
  });
}

/**
 * Runs a re-sync's profile write after its tenancy-DB write, taking the tenancy write back when the
 * profile write fails: left in place, the quotas enforced the new plan while the profile (and the
 * org list) named the old one, behind a bare 500 that did not say part of the re-sync applied.
 * As SubscriptionService does: a write that may still land, or an undo that failed, is said to
 * have perhaps changed something; one taken back whole after an outage is that outage (503/504).
 */
export async function profileWriteOrUndo(
  tenancy: OrgTenancyService,
  write: TenancyWrite,
  logger: Logger,
  profileWrite: () => Promise<unknown>,
): Promise<void> {
  try {
    await profileWrite();
  } catch (cause) {
    const org = write.org;
    const restored = await tenancy.undo(write).then(
      () => true,
      (undoErr: unknown) => {
        logger.error(`Re-sync of ${org}: tenancy row could not be restored: ${String(undoErr)}`);
        return false;
      },
    );
    const undone = restored && !writeOutcomeUnknown(cause);
    const outage =
      undone &&
      engineOutage(
        cause,
        `The re-sync of '${org}' stopped: a store it writes to did not answer. Its plan, limits and ` +
          'contact were left as they were; send the request again.',
        { changed: false },
      );
    if (outage) throw outage;
    throw new OrganizationsError(
      OrganizationsErrorCode.OnboardingFailed,
      undone
        ? `The re-sync of '${org}' failed; its plan, limits and contact were left as they were.`
        : `The re-sync of '${org}' failed, and part of it may already apply; send the same request again.`,
      { cause, extra: { changed: undone ? false : 'unknown' } },
    );
  }
}
