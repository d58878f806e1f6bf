import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '#platform';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { sanitizeAuditDetails, sanitizeAuditError } from './audit-details.js';
import { AuditRepository } from './audit.repository.js';
import type { AuditEntry, AuditLogFilter, AuditLogPage } from './audit.types.js';

/** The audit trail of org configuration changes. Other modules import AuditModule and call `record`. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly repository: AuditRepository) {}

  /**
   * Best effort: a failed write is logged with the request id and swallowed, because losing an audit
   * entry must not undo or fail the change the caller already made.
   */
  async record(entry: AuditEntry): Promise<void> {
    const { actor } = entry;
    try {
      await this.repository.insert({
        audit_id: randomUUID(),
        org_slug: entry.orgSlug,
        user_id: actor.userId,
        api_key_id: actor.apiKeyId,
        action: entry.action,
        resource_type: entry.resourceType,
        resource_id: entry.resourceId ?? null,
        details: sanitizeAuditDetails(entry.details),
        ip_address: actor.ipAddress,
        user_agent: actor.userAgent,
        request_id: actor.requestId,
        status: entry.status,
        error_message: sanitizeAuditError(entry.errorMessage),
        created_at: new Date(),
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.error(
        `Audit entry ${entry.action} ${entry.resourceType} for org ${entry.orgSlug} was not written ` +
          `(request ${actor.requestId}): ${reason}`,
      );
    }
  }

  /**
   * `work`, its failure recorded as a FAILURE entry: a failed write may still have changed the org
   * (limits it could not take back, a job that may still land), and the entry says so when the
   * error does (`changed`). Not for an unknown org: there is no org for the entry to belong to.
   */
  async failureRecorded<T>(
    entry: Omit<AuditEntry, 'status' | 'errorMessage'>,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof OrgError && err.code === OrgErrorCode.NotFound)) {
        const changed = err instanceof DomainError ? err.extra.changed : undefined;
        await this.record({
          ...entry,
          ...(entry.details || changed !== undefined
            ? { details: { ...entry.details, ...(changed !== undefined && { changed }) } }
            : {}),
          status: 'FAILURE',
          errorMessage: err instanceof DomainError ? `${err.code}: ${err.detail}` : 'Unexpected error',
        });
      }
      throw err;
    }
  }

  query(org: string, filter: AuditLogFilter, limit: number, offset: number): Promise<AuditLogPage> {
    return this.repository.page(org, filter, limit, offset);
  }

  /** Offboarding: removes every entry of the org; returns how many were removed. */
  deleteForOrg(org: string): Promise<number> {
    return this.repository.deleteForOrg(org);
  }
}
