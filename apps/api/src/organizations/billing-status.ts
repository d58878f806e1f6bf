import type { SubscriptionStatus } from './dto/subscription.dto.js';

/** The API's subscription statuses as Stripe spells them in the tenancy DB's billing_status. */
const TO_BILLING: Record<SubscriptionStatus, string> = {
  ACTIVE: 'active',
  TRIAL: 'trialing',
  SUSPENDED: 'paused',
  CANCELLED: 'canceled',
  EXPIRED: 'incomplete_expired',
};

const FROM_BILLING: Record<string, string> = {
  active: 'ACTIVE',
  trialing: 'TRIAL',
  paused: 'SUSPENDED',
  canceled: 'CANCELLED',
  incomplete_expired: 'EXPIRED',
  past_due: 'PAST_DUE',
  unpaid: 'UNPAID',
  incomplete: 'INCOMPLETE',
};

export function toBillingStatus(status: SubscriptionStatus): string {
  return TO_BILLING[status];
}

/** Stripe statuses with no API counterpart are upper-cased (past_due → PAST_DUE). */
export function fromBillingStatus(billing: string | null | undefined): string {
  if (!billing) return 'ACTIVE';
  return FROM_BILLING[billing] ?? billing.toUpperCase();
}
