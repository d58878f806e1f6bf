/** Why the quota refused a run; the quota limits are named as the exhausted limit that frees last. */
export const QUOTA_REFUSAL_REASONS = [
  'ORG_NOT_FOUND',
  'SUBSCRIPTION_INACTIVE',
  'RUN_ID_CONFLICT',
  'RUN_ID_FINISHED',
  'QUOTA_MONTHLY_EXCEEDED',
  'QUOTA_DAILY_EXCEEDED',
  'QUOTA_CONCURRENT_EXCEEDED',
] as const;
export type QuotaRefusalReason = (typeof QUOTA_REFUSAL_REASONS)[number];

export type RunStatus = 'SUCCESS' | 'FAILED';

export interface QuotaCounts {
  dailyUsed: number;
  dailyLimit: number;
  monthlyUsed: number;
  monthlyLimit: number;
  concurrentUsed: number;
  concurrentLimit: number;
}

export interface ReservationDecision {
  granted: boolean;
  reason: QuotaRefusalReason | null;
  /** A retry of a run id already granted: the first grant, nothing more taken. */
  replayed: boolean;
  /** An expired run admitted again: its run row may have been marked FAILED by the stale cleanup. */
  readmitted: boolean;
  reservationId: string | null;
  /** YYYY-MM-DD (UTC): the day the run is counted on. */
  reservationDate: string | null;
  expiresAt: string | null;
  /** Until the refusing limit frees; null when granted or when it never frees (a limit of 0). */
  retryAfterSeconds: number | null;
  /** Usage after the decision; null when the org is unknown. */
  counts: QuotaCounts | null;
  /** The subscription the decision was made under; null when the org is unknown. */
  subscription: OrgSubscription | null;
}

/** Which run a completion or heartbeat is about; the first one given wins. */
export interface RunRef {
  reservationId?: string;
  runId?: string;
  /**
   * Legacy completions name only the day: a live reservation of that day is taken first, else the
   * oldest open one. Naming nothing takes the latest reservation past its expiry (a stuck run).
   */
  reservationDate?: string;
}

export interface CompletionResult {
  outcome: 'completed' | 'already_completed';
  reservationId: string;
  runId: string;
  pipelineId: string;
  reservationDate: string;
  /** The recorded status: on a repeat, the first completion's. */
  status: RunStatus;
  completedAt: string;
}

export interface HeartbeatResult {
  reservationId: string;
  runId: string;
  expiresAt: string;
}

export interface EffectiveLimits {
  daily: number;
  monthly: number;
  concurrent: number;
  seats: number;
  providers: number;
}

/** An org's plan, billing state and effective limits (its own, else its plan's). */
export interface OrgSubscription {
  orgSlug: string;
  plan: string;
  billingStatus: string;
  trialEndsAt: string | null;
  currentPeriodEnd: string | null;
  stripeSubscriptionId: string | null;
  limits: EffectiveLimits;
}

/** An org's limits and pipeline usage as the tenancy DB has them at one instant. */
export interface OrgQuotaState extends OrgSubscription {
  usageDate: string;
  dailyUsed: number;
  dailySucceeded: number;
  dailyFailed: number;
  monthlyUsed: number;
  concurrentUsed: number;
  /** When a slot next frees: the oldest live expiry, or later when more runs are live than the limit. */
  oldestLiveExpiresAt: string | null;
}

export interface ExpiredReservation {
  orgSlug: string;
  runId: string;
  reservationId: string;
  pipelineId: string;
  reservationDate: string;
  expiresAt: string;
  newlyExpired: boolean;
}

/** A reservation still RESERVED: its org and the run id it holds. */
export interface LiveRun {
  orgSlug: string;
  runId: string;
}

/** One org's run as one text (an org slug has no '/'): run ids are unique within an org only. */
export const liveRunKey = (r: LiveRun): string => `${r.orgSlug}/${r.runId}`;

export interface PeriodRow {
  orgSlug: string;
  usageDate: string;
  created: boolean;
}
