import { Injectable, Logger } from '@nestjs/common';
import { CostCache } from '#analytics';
import { SchemaRegistry } from '#warehouse';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CostImportService } from '../cost-import/cost-import.service.js';
import { PipelineStatusCache } from '../pipeline-logs/pipeline-status.cache.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { BATCH_RUNS_TABLE, CentralOrgRowsRepository } from './central-org-rows.repository.js';
import type { DeletedRows, OffboardRequestDto, OffboardResponseDto } from './dto/offboarding.dto.js';
import { OrgCreationLock } from './org-creation-lock.js';
import { OrgDatasetService } from './org-dataset.service.js';
import { OrgProfileRepository } from './org-profile.repository.js';
import { engineOutage } from './engine-outage.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';
import { TenancyOrgRepository } from './tenancy-org.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

const REMOVAL = { action: 'DELETE', resourceType: 'ORGANIZATION' } as const;

/** Tables emptied through the module that owns them (the key cache and audit trail live there). */
const OWNED_ELSEWHERE = new Set(['org_api_keys', 'org_audit_logs']);
/** Deleted last, so that an offboarding that stops half-way still finds the org and can be re-run. */
const PROFILE_TABLE = 'org_profiles';

/**
 * DELETE /organizations/{org}: every row of the org in every central table that has an org_slug
 * column (driven by the schema registry, so a new table is covered without code), its entries in
 * the platform-wide batch records, its keys, its tenancy-DB rows and optionally its dataset. Idempotent: re-running it finishes a partial run.
 */
@Injectable()
export class OffboardingService {
  private readonly logger = new Logger(OffboardingService.name);

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly rows: CentralOrgRowsRepository,
    private readonly profiles: OrgProfileRepository,
    private readonly tenancy: TenancyOrgRepository,
    private readonly datasets: OrgDatasetService,
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyService,
    private readonly costImports: CostImportService,
    private readonly lock: OrgCreationLock,
    private readonly costCache: CostCache,
    private readonly statusCache: PipelineStatusCache,
  ) {}

  async offboard(org: string, req: OffboardRequestDto, actor: AuditActor): Promise<OffboardResponseDto> {
    if (req.confirm_org_slug !== org)
      throw new OrganizationsError(
        OrganizationsErrorCode.ConfirmationMismatch,
        `confirm_org_slug '${req.confirm_org_slug}' does not match URL org_slug '${org}'.`,
      );
    // A locale, subscription or key change that started before this removal writes its rows and
    // audit entry after the deletes below otherwise: they would outlive the org (and be inherited
    // by the next org of this slug). None starts while this holds the lifecycle lease.
    return this.lock.holdQuiesced(org, () => this.remove(org, req.delete_dataset ?? false, actor));
  }

  private async remove(org: string, deleteDataset: boolean, actor: AuditActor): Promise<OffboardResponseDto> {
    const [profile, tenancyRow, datasetExists, keyCount] = await Promise.all([
      this.profiles.find(org),
      this.tenancy.find(org),
      this.datasets.exists(org),
      this.keys.countKeys(org),
    ]);
    if (!profile && !tenancyRow && !datasetExists && keyCount === 0)
      throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);

    const deleted: DeletedRows[] = [];
    let tenancyRows = 0;
    let datasetDeleted = false;
    let step = 'API keys';
    try {
      // Keys first: deleting them clears the auth cache, so the org's key stops working at once.
      const keys: DeletedRows = { table: 'org_api_keys', rows: await this.keys.deleteAll(org) };
      deleted.push(keys);
      const present = await this.rows.existingTables();
      const tables = this.registry
        .centralTables()
        .filter((t) => t.fields.some((f) => f.name === 'org_slug'))
        .map((t) => t.name)
        .filter((name) => present.has(name) && !OWNED_ELSEWHERE.has(name) && name !== PROFILE_TABLE);
      for (const table of tables) {
        step = `central table ${table}`;
        deleted.push({ table, rows: await this.rows.delete(table, org) });
      }
      if (present.has(BATCH_RUNS_TABLE)) {
        // The platform-wide batches name the org in their entries: those go, the rest of each stays.
        step = 'platform-wide batch records';
        await this.rows.removeFromPlatformBatches(org);
      }
      step = 'audit log';
      deleted.push({ table: 'org_audit_logs', rows: await this.audit.deleteForOrg(org) });
      step = 'org profile';
      deleted.push({ table: PROFILE_TABLE, rows: await this.profiles.delete(org) });
      // Again: a key rotated or created while the rows above were deleted (those routes check the
      // profile, which stood until now) would otherwise outlive the org.
      step = 'API keys';
      keys.rows += await this.keys.deleteAll(org);

      step = 'tenancy DB';
      tenancyRows += await this.idempotency.deleteForOrg(org);
      tenancyRows += await this.costImports.deleteReports(org);
      if (tenancyRow) tenancyRows += await this.tenancy.countMembers(tenancyRow.id);
      tenancyRows += await this.tenancy.delete(org);

      if (deleteDataset) {
        step = 'org dataset';
        datasetDeleted = await this.datasets.drop(org);
      }
    } catch (cause) {
      await this.forgetCached(org);
      this.logger.error(`Offboarding of ${org} stopped at ${step}: ${String(cause)}`);
      const extra = { step, ...deletedFields(deleted) };
      // The run may have deleted the org's keys and rows already: recorded in the org's audit log
      // while it still stands, else (emptied) in the service log, as a finished removal is.
      const failure = { status: 'FAILURE', errorMessage: `${step} failed`, details: extra } as const;
      if (deleted.some((d) => d.table === 'org_audit_logs')) this.logAudit(org, failure, actor);
      else await this.audit.record({ orgSlug: org, ...REMOVAL, resourceId: org, ...failure, actor });
      // It is made to be run again: stopped by an engine that did not answer, that engine's 503/504.
      throw (
        engineOutage(
          cause,
          `Offboarding of '${org}' stopped at ${step}: a store it deletes from did not answer. ` +
            'Run it again to finish.',
          extra,
        ) ??
        new OrganizationsError(
          OrganizationsErrorCode.OffboardingFailed,
          `Offboarding of '${org}' stopped at ${step}; run it again to finish.`,
          { extra, cause },
        )
      );
    }

    await this.forgetCached(org);
    const rowCount = deleted.reduce((n, d) => n + d.rows, 0);
    // The org's audit table was just emptied: this entry goes to the service log instead.
    this.logAudit(
      org,
      {
        status: 'SUCCESS',
        details: { central_rows: rowCount, tenancy_rows: tenancyRows, dataset_deleted: datasetDeleted },
      },
      actor,
    );
    return {
      org_slug: org,
      ...deletedFields(deleted),
      tenancy_rows_deleted: tenancyRows,
      dataset_deleted: datasetDeleted,
      message:
        `Organization '${org}' offboarded: ${rowCount} central row(s) and ${tenancyRows} tenancy row(s) deleted` +
        (deleteDataset
          ? datasetDeleted
            ? `, dataset ${this.datasets.datasetId(org)} dropped.`
            : '; it had no dataset.'
          : `; dataset ${this.datasets.datasetId(org)} kept.`),
    };
  }

  /** An audit entry of the removal, as a service log line: the org's audit log is emptied already. */
  private logAudit(
    org: string,
    entry: { status: 'SUCCESS' | 'FAILURE'; details: Record<string, unknown>; errorMessage?: string },
    actor: AuditActor,
  ): void {
    this.logger.log(
      `audit ${JSON.stringify({
        action: REMOVAL.action,
        resource_type: REMOVAL.resourceType,
        resource_id: org,
        org_slug: org,
        status: entry.status,
        ...(entry.errorMessage !== undefined && { error_message: entry.errorMessage }),
        details: entry.details,
        request_id: actor.requestId,
        user_id: actor.userId,
        ip_address: actor.ipAddress,
      })}`,
    );
  }

  /**
   * What this and every other instance keeps of the org's data (cost frames, results and kept
   * responses; pipeline statuses) goes with it, also after a partial run: it must not be served to
   * the org's keys after a new onboarding of the slug, nor to the root key meanwhile.
   */
  private async forgetCached(org: string): Promise<void> {
    await Promise.all([this.costCache.invalidateOrg(org), this.statusCache.invalidateOrg(org)]);
  }
}

/** The tables an offboarding deleted from (the reference's list of names) and the rows of each. */
function deletedFields(deleted: DeletedRows[]) {
  return {
    deleted_from_tables: deleted.map((d) => d.table),
    rows_deleted: Object.fromEntries(deleted.map((d) => [d.table, d.rows])),
  };
}
