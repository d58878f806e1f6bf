import { Injectable } from '@nestjs/common';
import { driftIsOutOfSync } from '#warehouse';
import type { MemberEmailsDto } from './dto/members.dto.js';
import type {
  OrgStatusDto,
  OrgSyncRequestDto,
  OrgSyncResponseDto,
  RepairTablesResponseDto,
} from './dto/org-dataset.dto.js';
import type { OrgListQueryDto, OrgListResponseDto } from './dto/org-list.dto.js';
import { OrgCreationLock } from './org-creation-lock.js';
import { OrgDatasetService } from './org-dataset.service.js';
import { OrgProfileRepository, PROVISIONING, type ProfileRow } from './org-profile.repository.js';
import { TenancyOrgRepository } from './tenancy-org.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

/**
 * The call that repairs the org's dataset: sync refuses (400) an org that is not active,
 * repair-tables does not; an onboarding that stopped half-way is finished by onboarding it again
 * (its tables, views, hierarchy, key and quota row, where repair-tables makes only the dataset).
 */
const repairCall = (profile: ProfileRow): string =>
  profile.status === 'ACTIVE'
    ? `POST /api/v1/organizations/${profile.org_slug}/sync`
    : profile.status === PROVISIONING
      ? `POST /api/v1/organizations/onboard again with org_slug ${profile.org_slug} finishes its onboarding`
      : `POST /api/v1/${profile.org_slug}/repair-tables`;

/** Admin reads and repairs of existing orgs: list, dataset status/sync/repair, member emails. */
@Injectable()
export class OrgDirectoryService {
  constructor(
    private readonly profiles: OrgProfileRepository,
    private readonly datasets: OrgDatasetService,
    private readonly tenancy: TenancyOrgRepository,
    private readonly lock: OrgCreationLock,
  ) {}

  async list(q: OrgListQueryDto): Promise<OrgListResponseDto> {
    const offset = (q.page - 1) * q.page_size;
    const [rows, total] = await Promise.all([
      this.profiles.page(q.status, q.page_size, offset),
      this.profiles.count(q.status),
    ]);
    return {
      organizations: rows.map((p) => ({
        org_slug: p.org_slug,
        company_name: p.company_name,
        admin_email: p.admin_email,
        subscription_plan: p.subscription_plan,
        status: p.status,
        default_currency: p.default_currency,
        default_timezone: p.default_timezone,
        created_at: p.created_at.toISOString(),
      })),
      total,
      page: q.page,
      page_size: q.page_size,
      has_next: offset + rows.length < total,
    };
  }

  /** Always 200: an unknown org is reported as NOT_FOUND in the body, as dashboards poll this. */
  async status(org: string): Promise<OrgStatusDto> {
    const profile = await this.profiles.find(org);
    const base = { org_slug: org, profile_exists: profile !== null };
    if (!profile)
      return {
        ...base,
        status: 'NOT_FOUND',
        dataset_exists: await this.datasets.exists(org),
        tables_expected: 0,
        tables_existing: [],
        tables_missing: [],
        views_missing: [],
        schema_diffs: {},
        message: `Organization '${org}' not found. Use /organizations/onboard first.`,
      };
    const found = await this.datasets.inspect(org);
    if (!found.datasetExists)
      return {
        ...base,
        status: 'PROFILE_ONLY',
        dataset_exists: false,
        tables_expected: found.expected.length,
        tables_existing: [],
        tables_missing: ['(entire dataset)'],
        views_missing: found.viewsMissing,
        schema_diffs: {},
        message: `Dataset ${this.datasets.datasetId(org)} is missing; ${repairCall(profile)}.`,
      };
    const outOfSync =
      found.missing.length > 0 ||
      found.viewsMissing.length > 0 ||
      Object.values(found.diffs).some(driftIsOutOfSync);
    return {
      ...base,
      status: outOfSync ? 'OUT_OF_SYNC' : 'SYNCED',
      dataset_exists: true,
      tables_expected: found.expected.length,
      tables_existing: found.existing,
      tables_missing: found.missing,
      views_missing: found.viewsMissing,
      schema_diffs: found.diffs,
      message: outOfSync
        ? `${found.missing.length} table(s) missing, ${Object.keys(found.diffs).length} differ, ${found.viewsMissing.length} view(s) missing; ${repairCall(profile)}.`
        : 'All org tables and views match the schema registry.',
    };
  }

  /**
   * Under the org's lifecycle lease, like onboarding and offboarding: run while an offboarding
   * dropped the dataset, it would create it again (empty), and run during an onboarding, it would
   * take the dataset that onboarding's rollback must drop.
   */
  sync(org: string, req: OrgSyncRequestDto): Promise<OrgSyncResponseDto> {
    return this.lock.hold(org, () => this.syncHeld(org, req));
  }

  private async syncHeld(org: string, req: OrgSyncRequestDto): Promise<OrgSyncResponseDto> {
    await this.activeProfile(org);
    const r = await this.datasets.sync(org, {
      syncMissingTables: req.sync_missing_tables,
      syncMissingColumns: req.sync_missing_columns,
      recreateViews: req.recreate_views,
    });
    const changes = r.tablesCreated.length + Object.keys(r.columnsAdded).length + r.viewsCreated.length;
    return {
      org_slug: org,
      status: r.errors.length ? 'PARTIAL' : 'SUCCESS',
      dataset_created: r.datasetCreated,
      tables_created: r.tablesCreated,
      columns_added: r.columnsAdded,
      views_created: r.viewsCreated,
      errors: r.errors,
      message:
        changes === 0 && !r.errors.length && !r.datasetCreated
          ? 'Already in sync - no changes needed'
          : `Created ${r.tablesCreated.length} table(s) and ${r.viewsCreated.length} view(s), added columns to ${Object.keys(r.columnsAdded).length} table(s).`,
    };
  }

  /** Under the org's lifecycle lease, for the reasons of `sync`. */
  repair(org: string): Promise<RepairTablesResponseDto> {
    return this.lock.hold(org, () => this.repairHeld(org));
  }

  private async repairHeld(org: string): Promise<RepairTablesResponseDto> {
    await this.profile(org);
    const r = await this.datasets.repair(org);
    return {
      org_slug: org,
      dataset_id: r.datasetId,
      tables_created: r.tablesCreated,
      tables_existing: r.tablesExisting,
      tables_failed: r.tablesFailed,
      views_created: r.viewsCreated,
      views_failed: r.viewsFailed,
      message:
        `Created ${r.tablesCreated.length} missing table(s); ${r.tablesExisting.length} already existed` +
        `${r.tablesFailed.length ? `; ${r.tablesFailed.length} failed` : ''}; created ${r.viewsCreated.length} missing view(s)` +
        `${r.viewsFailed.length ? `; ${r.viewsFailed.length} failed` : ''}.`,
    };
  }

  /** Active members (optionally of one role) with their email and name, from the tenancy DB. */
  async memberEmails(org: string, role: string | undefined): Promise<MemberEmailsDto> {
    const row = await this.tenancy.find(org);
    if (!row) {
      await this.profile(org);
      return { org_slug: org, members: [], count: 0 };
    }
    const members = await this.tenancy.activeMembers(row.id, role);
    const users = new Map(
      (await this.tenancy.userProfiles(members.map((m) => m.user_id))).map((u) => [u.id, u]),
    );
    const out = members.flatMap((m) => {
      const user = users.get(m.user_id);
      return user?.email ? [{ email: user.email, name: user.full_name, role: m.role }] : [];
    });
    return { org_slug: org, members: out, count: out.length };
  }

  private async profile(org: string): Promise<ProfileRow> {
    const profile = await this.profiles.find(org);
    if (!profile)
      throw new OrgError(
        OrgErrorCode.NotFound,
        `Organization '${org}' not found. Use /organizations/onboard first.`,
      );
    return profile;
  }

  private async activeProfile(org: string): Promise<ProfileRow> {
    const profile = await this.profile(org);
    if (profile.status !== 'ACTIVE')
      throw new OrgError(OrgErrorCode.NotActive, `Organization '${org}' is not active. Contact support.`);
    return profile;
  }
}
