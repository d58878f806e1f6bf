import type { AuditActor } from './audit-actor.js';

export const AUDIT_ACTIONS = ['CREATE', 'READ', 'UPDATE', 'DELETE', 'EXECUTE', 'ROTATE'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_RESOURCE_TYPES = [
  'ORGANIZATION',
  'API_KEY',
  'USER',
  'INTEGRATION',
  'CREDENTIAL',
  'PIPELINE',
  'SUBSCRIPTION',
  'SUBSCRIPTION_PLAN',
  'QUOTA',
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/**
 * Every action and resource type an entry may hold: those this API writes, and the ones the
 * replaced system's table also lists (data-model.md: LOGIN, LOGOUT, ORG), which rows of a
 * taken-over central dataset carry. The listing filters on them and answers them.
 */
export const STORED_AUDIT_ACTIONS = [...AUDIT_ACTIONS, 'LOGIN', 'LOGOUT'] as const;
export type StoredAuditAction = (typeof STORED_AUDIT_ACTIONS)[number];
export const STORED_AUDIT_RESOURCE_TYPES = [...AUDIT_RESOURCE_TYPES, 'ORG'] as const;
export type StoredAuditResourceType = (typeof STORED_AUDIT_RESOURCE_TYPES)[number];

export const AUDIT_STATUSES = ['SUCCESS', 'FAILURE', 'DENIED'] as const;
export type AuditStatus = (typeof AUDIT_STATUSES)[number];

/** One thing that happened to an org's configuration, as a module reports it. */
export interface AuditEntry {
  orgSlug: string;
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId?: string | null;
  /** What changed. Keys that look like secrets are dropped before writing. */
  details?: Record<string, unknown>;
  status: AuditStatus;
  errorMessage?: string | null;
  actor: AuditActor;
}

export interface AuditLogFilter {
  action?: StoredAuditAction;
  resourceType?: StoredAuditResourceType;
  status?: AuditStatus;
  /** YYYY-MM-DD, inclusive, compared with DATE(created_at) in UTC. */
  startDate?: string;
  endDate?: string;
}

export interface AuditLogRecord {
  auditId: string;
  orgSlug: string;
  userId: string | null;
  apiKeyId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: unknown;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  status: string;
  errorMessage: string | null;
  createdAt: Date;
}

export interface AuditLogPage {
  total: number;
  records: AuditLogRecord[];
}
