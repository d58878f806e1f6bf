import { Inject, Injectable } from '@nestjs/common';
import { type DbRow, type Filter, TENANCY_DB, type TenancyDb } from '#tenancy-db';

/** The tenancy-DB `organizations` columns this module reads or writes (0001_organizations.sql). */
export interface TenancyOrgRow {
  id: string;
  org_slug: string;
  /** NULL on rows the dashboard made (its name column is org_name). */
  company_name: string | null;
  admin_email: string | null;
  /** Free text on rows the dashboard made (Stripe plan ids, NULL before checkout). */
  plan: string | null;
  billing_status: string;
  pipelines_per_day_limit: number | null;
  pipelines_per_month_limit: number | null;
  concurrent_pipelines_limit: number | null;
  seat_limit: number | null;
  providers_limit: number | null;
  trial_ends_at: string | null;
  stripe_subscription_id: string | null;
  backend_onboarded: boolean;
  backend_onboarded_at: string | null;
  backend_quota_synced: boolean;
  backend_api_key_fingerprint: string | null;
  created_at: string;
  updated_at: string;
  [column: string]: unknown;
}

/** The columns onboarding, re-sync and subscription changes write (and compensation restores). */
export const WRITABLE_COLUMNS = [
  'company_name',
  'admin_email',
  'plan',
  'billing_status',
  'pipelines_per_day_limit',
  'pipelines_per_month_limit',
  'concurrent_pipelines_limit',
  'seat_limit',
  'providers_limit',
  'trial_ends_at',
  'backend_onboarded',
  'backend_onboarded_at',
  'backend_quota_synced',
  'backend_api_key_fingerprint',
] as const;
export type WritableColumn = (typeof WRITABLE_COLUMNS)[number];
export type TenancyOrgPatch = Partial<Record<WritableColumn, string | number | boolean | Date | null>>;

export interface MemberRow {
  user_id: string;
  role: string;
  [column: string]: unknown;
}

export interface UserProfileRow {
  id: string;
  email: string;
  full_name: string | null;
  [column: string]: unknown;
}

/** The tenancy DB side of an org: its `organizations` row (limits), members and their profiles. */
@Injectable()
export class TenancyOrgRepository {
  constructor(@Inject(TENANCY_DB) private readonly db: TenancyDb) {}

  async find(org: string): Promise<TenancyOrgRow | null> {
    const [row] = await this.db.select<TenancyOrgRow>('organizations', { org_slug: org }, { limit: 1 });
    return row ?? null;
  }

  /** `values` must carry company_name (NOT NULL); the caller's upsert guarantees it. */
  async insert(org: string, values: TenancyOrgPatch): Promise<TenancyOrgRow> {
    const [row] = await this.db.insert<TenancyOrgRow>('organizations', [{ ...values, org_slug: org }]);
    return row;
  }

  async update(org: string, patch: TenancyOrgPatch): Promise<number> {
    return (await this.db.update('organizations', { org_slug: org }, patch)).length;
  }

  /**
   * Puts back the columns the update set (`written`) as they were in `previous` (compensation of an
   * update), only while the row still holds `written`: a newer write by another request stands.
   * Only those: a column the update did not write may have been changed since by a request running
   * beside it (a key rotation's fingerprint), and putting it back would undo that request's change.
   * Returns whether the row was put back.
   */
  async restore(previous: TenancyOrgRow, written: TenancyOrgPatch): Promise<boolean> {
    const values: DbRow = {};
    for (const column of WRITABLE_COLUMNS)
      if (written[column] !== undefined) values[column] = previous[column] ?? null;
    const still: Filter = { org_slug: previous.org_slug };
    // Timestamps are left out: they come back at a coarser precision than the database keeps.
    for (const [column, value] of Object.entries(written))
      if (value !== undefined && !(value instanceof Date)) still[column] = value;
    return (await this.db.update('organizations', still, values)).length > 0;
  }

  /** Deletes the org's row only while it holds `values` (timestamps aside, as in `restore`). */
  async deleteIfStill(org: string, values: TenancyOrgPatch): Promise<number> {
    const still: Filter = { org_slug: org };
    for (const [column, value] of Object.entries(values))
      if (value !== undefined && !(value instanceof Date)) still[column] = value;
    return (await this.db.delete('organizations', still)).length;
  }

  /** Deletes the org's row; its memberships go with it (ON DELETE CASCADE). */
  async delete(org: string): Promise<number> {
    return (await this.db.delete('organizations', { org_slug: org })).length;
  }

  async countMembers(orgId: string): Promise<number> {
    // Ordered: past one page (PostgREST's max-rows), offset paging over an unordered read may
    // repeat or skip rows.
    const members = await this.db.select(
      'organization_members',
      { org_id: orgId },
      { columns: ['id'], orderBy: [{ column: 'id' }] },
    );
    return members.length;
  }

  async activeMembers(orgId: string, role: string | undefined): Promise<MemberRow[]> {
    // user_id (unique within an org) breaks the ties of joined_at: members a bulk invite added share
    // it, and past one page (PostgREST's max-rows) offset paging over tied rows repeated some
    // members and skipped others, who then got no alert email.
    return this.db.select<MemberRow>(
      'organization_members',
      { org_id: orgId, status: 'active', ...(role ? { role } : {}) },
      { columns: ['user_id', 'role'], orderBy: [{ column: 'joined_at' }, { column: 'user_id' }] },
    );
  }

  async userProfiles(ids: string[]): Promise<UserProfileRow[]> {
    if (!ids.length) return [];
    return this.db.select<UserProfileRow>(
      'profiles',
      { id: { in: ids } },
      { columns: ['id', 'email', 'full_name'] },
    );
  }
}
