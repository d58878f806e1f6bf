import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, param, type QueryParams, WAREHOUSE, type Warehouse } from '#warehouse';
import type { AuditLogFilter, AuditLogPage, AuditLogRecord } from './audit.types.js';

const TABLE = 'org_audit_logs';

/** A row of `organizations.org_audit_logs`, column for column. */
export interface AuditRow {
  audit_id: string;
  org_slug: string;
  user_id: string | null;
  api_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  status: string;
  error_message: string | null;
  created_at: Date;
  [column: string]: unknown;
}

function toRecord(row: AuditRow): AuditLogRecord {
  return {
    auditId: row.audit_id,
    orgSlug: row.org_slug,
    userId: row.user_id,
    apiKeyId: row.api_key_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: row.details,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    requestId: row.request_id,
    status: row.status,
    errorMessage: row.error_message,
    createdAt: row.created_at,
  };
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async insert(row: AuditRow): Promise<void> {
    await this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: TABLE }, [row]);
  }

  async deleteForOrg(org: string): Promise<number> {
    return this.warehouse.execute(`DELETE FROM ${central(TABLE)} WHERE org_slug = @org`, { org });
  }

  /** One page, newest first, with the number of entries matching the filter over all pages. */
  async page(org: string, filter: AuditLogFilter, limit: number, offset: number): Promise<AuditLogPage> {
    const where = ['org_slug = @org'];
    const params: QueryParams = { org };
    if (filter.action) {
      where.push('action = @action');
      params.action = filter.action;
    }
    if (filter.resourceType) {
      where.push('resource_type = @resource_type');
      params.resource_type = filter.resourceType;
    }
    if (filter.status) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.startDate) {
      where.push('DATE(created_at) >= @start_date');
      params.start_date = param.date(filter.startDate);
    }
    if (filter.endDate) {
      where.push('DATE(created_at) <= @end_date');
      params.end_date = param.date(filter.endDate);
    }
    const condition = where.join(' AND ');
    const [counted, rows] = await Promise.all([
      this.warehouse.query<{ total: number }>(
        `SELECT COUNT(*) AS total FROM ${central(TABLE)} WHERE ${condition}`,
        params,
      ),
      this.warehouse.query<AuditRow>(
        `SELECT audit_id, org_slug, user_id, api_key_id, action, resource_type, resource_id, details,
                ip_address, user_agent, request_id, status, error_message, created_at
         FROM ${central(TABLE)}
         WHERE ${condition}
         ORDER BY created_at DESC, audit_id DESC
         LIMIT @limit OFFSET @offset`,
        { ...params, limit: param.int(limit), offset: param.int(offset) },
      ),
    ]);
    return { total: Number(counted[0]?.total ?? 0), records: rows.map(toRecord) };
  }
}
