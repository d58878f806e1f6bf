import type { Logger } from '@nestjs/common';
import type { AuditActor } from '../audit/audit-actor.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CompensatingSteps, StepFailedError } from './compensating-steps.js';
import { OrganizationsError, type OrganizationsErrorCode } from './organizations.errors.js';

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
 * that could not be is named, so an operator knows what to clean up).
 */
export async function rollBackCreation(
  audit: AuditService,
  logger: Logger,
  { org, failure, steps, actor, code, operation }: CreationFailure,
): Promise<OrganizationsError> {
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
  return new OrganizationsError(code, `${operation} of '${org}' failed at ${failure.step}.`, {
    extra: outcome,
    cause: failure.cause,
  });
}
