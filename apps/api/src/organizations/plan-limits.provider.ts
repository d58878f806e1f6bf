import type { Provider } from '@nestjs/common';
import { isPlanName, loadPlanLimits, type PlanName } from '#tenancy-db';

/** configs/plans.json, read once at start (a malformed file stops the start naming the plan). */
export const PLAN_LIMITS = Symbol('PLAN_LIMITS');

export const planLimitsProvider: Provider = { provide: PLAN_LIMITS, useFactory: () => loadPlanLimits() };

/** A stored plan name, or STARTER when it is missing or unknown (a row written by another system). */
export function planOrStarter(plan: string | null | undefined): PlanName {
  const upper = plan?.toUpperCase() ?? '';
  return isPlanName(upper) ? upper : 'STARTER';
}
