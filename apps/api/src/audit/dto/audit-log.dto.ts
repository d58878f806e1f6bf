import { ApiProperty } from '@nestjs/swagger';
import { EnumFilter, NotBefore, OptionalDay, PageLimit, PageOffset } from '../../common/query-fields.js';
import {
  AUDIT_STATUSES,
  type AuditLogRecord,
  type AuditStatus,
  STORED_AUDIT_ACTIONS,
  STORED_AUDIT_RESOURCE_TYPES,
  type StoredAuditAction,
  type StoredAuditResourceType,
} from '../audit.types.js';

export class AuditLogQueryDto {
  @EnumFilter(STORED_AUDIT_ACTIONS, 'upper')
  action?: StoredAuditAction;

  @EnumFilter(STORED_AUDIT_RESOURCE_TYPES, 'upper')
  resource_type?: StoredAuditResourceType;

  @EnumFilter(AUDIT_STATUSES, 'upper')
  status?: AuditStatus;

  @OptionalDay('2026-01-01', 'Inclusive, on the UTC date of created_at')
  start_date?: string;

  @OptionalDay('2026-01-31', 'Inclusive; not before start_date')
  @NotBefore('start_date')
  end_date?: string;

  @PageLimit(1000, 100)
  limit = 100;

  @PageOffset()
  offset = 0;
}

export class AuditLogDto {
  @ApiProperty() audit_id: string;
  @ApiProperty() org_slug: string;
  @ApiProperty({ type: String, nullable: true }) user_id: string | null;
  @ApiProperty({ type: String, nullable: true }) api_key_id: string | null;
  @ApiProperty({ enum: STORED_AUDIT_ACTIONS }) action: string;
  @ApiProperty({ enum: STORED_AUDIT_RESOURCE_TYPES }) resource_type: string;
  @ApiProperty({ type: String, nullable: true }) resource_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) details: unknown;
  @ApiProperty({ type: String, nullable: true }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id: string | null;
  @ApiProperty({ enum: AUDIT_STATUSES }) status: string;
  @ApiProperty({ type: String, nullable: true }) error_message: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(r: AuditLogRecord): AuditLogDto {
    return {
      audit_id: r.auditId,
      org_slug: r.orgSlug,
      user_id: r.userId,
      api_key_id: r.apiKeyId,
      action: r.action,
      resource_type: r.resourceType,
      resource_id: r.resourceId,
      details: r.details ?? null,
      ip_address: r.ipAddress,
      user_agent: r.userAgent,
      request_id: r.requestId,
      status: r.status,
      error_message: r.errorMessage,
      created_at: r.createdAt.toISOString(),
    };
  }
}

export class AuditLogListDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Entries matching the filters over all pages' }) total_count: number;
  @ApiProperty({ type: [AuditLogDto] }) logs: AuditLogDto[];
  @ApiProperty({ description: 'offset + this page < total_count' }) has_more: boolean;
}
