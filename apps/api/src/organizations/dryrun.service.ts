import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { ORG_SLUG, ORG_SLUG_MESSAGE } from '#platform';
import { isPlanName, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import {
  CENTRAL_DATASET,
  driftIsOutOfSync,
  SchemaRegistry,
  tableDrift,
  WAREHOUSE,
  type Warehouse,
} from '#warehouse';
import type { DryrunRequestDto, DryrunResponseDto, ValidationCheckDto } from './dto/onboarding.dto.js';
import { OrgDatasetService } from './org-dataset.service.js';
import { OrgProfileRepository, PROVISIONING } from './org-profile.repository.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CHECK_TIMEOUT_MS = 5_000;

/** Before the first bootstrap there is no central dataset: nothing that reads it can be checked. */
const NOT_BOOTSTRAPPED =
  `The system is not bootstrapped: the central dataset '${CENTRAL_DATASET}' does not exist; ` +
  'POST /api/v1/admin/bootstrap';

type CheckResult = Pick<ValidationCheckDto, 'passed' | 'message'> & { details?: Record<string, unknown> };

/**
 * POST /organizations/dryrun: everything onboarding depends on, checked without writing anything.
 * A check that throws fails with a generic message; the error itself goes to the log only.
 */
@Injectable()
export class DryrunService {
  private readonly logger = new Logger(DryrunService.name);

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(TENANCY_DB) private readonly tenancyDb: TenancyDb,
    @Inject(ENCRYPTOR) private readonly encryptor: Encryptor,
    private readonly registry: SchemaRegistry,
    private readonly profiles: OrgProfileRepository,
    private readonly datasets: OrgDatasetService,
  ) {}

  async run(req: DryrunRequestDto): Promise<DryrunResponseDto> {
    const org = req.org_slug;
    const results: ValidationCheckDto[] = [];
    const check = async (name: string, fn: () => Promise<CheckResult> | CheckResult) => {
      let result: CheckResult;
      try {
        result = await fn();
      } catch (err) {
        this.logger.warn(`Dry run for ${org}: check ${name} raised ${String(err)}`);
        result = { passed: false, message: `${name} could not be completed` };
      }
      results.push({
        check_name: name,
        ...result,
        details: result.details ?? {},
        timestamp: new Date().toISOString(),
      });
    };

    await check('org_slug_format', () => ({
      passed: ORG_SLUG.test(org),
      message: ORG_SLUG.test(org) ? 'Valid org slug' : `The org slug ${ORG_SLUG_MESSAGE}`,
      details: { org_slug: org },
    }));
    await check('email_format', () => ({
      passed: EMAIL.test(req.admin_email),
      message: EMAIL.test(req.admin_email) ? 'Valid email' : 'The admin email is not valid',
    }));
    await check('warehouse_connectivity', async () => {
      await this.warehouse.ping(CHECK_TIMEOUT_MS);
      return { passed: true, message: 'The warehouse answers', details: { driver: this.warehouse.driver } };
    });
    await check('tenancy_db_connectivity', async () => {
      await this.tenancyDb.ping(CHECK_TIMEOUT_MS);
      return {
        passed: true,
        message: 'The tenancy database answers',
        details: { driver: this.tenancyDb.driver },
      };
    });
    await check('encryption', async () => {
      const context = `dryrun:${org}`;
      const sealed = await this.encryptor.encrypt('dry-run', context);
      const opened = (await this.encryptor.decrypt(sealed, context)).toString('utf8');
      return opened === 'dry-run'
        ? { passed: true, message: 'API keys can be encrypted and decrypted' }
        : { passed: false, message: 'Encryption did not round-trip' };
    });
    await check('subscription_plan', () => {
      const plan = req.subscription_plan ?? 'STARTER';
      return isPlanName(plan)
        ? { passed: true, message: `Valid plan ${plan}`, details: { plan } }
        : { passed: false, message: `Unknown plan ${String(plan)}` };
    });
    await check('org_existence', async () => {
      // The profiles are read from the central dataset: without it, that read would throw.
      if (!(await this.warehouse.datasetExists(CENTRAL_DATASET)))
        return { passed: false, message: NOT_BOOTSTRAPPED, details: { central_dataset_exists: false } };
      const [profile, datasetExists] = await Promise.all([
        this.profiles.find(org),
        this.datasets.exists(org),
      ]);
      const details = {
        profile_exists: !!profile,
        dataset_exists: datasetExists,
        dataset_id: this.datasets.datasetId(org),
      };
      // What an onboarding cut off half-way left: the next onboarding of the slug finishes it.
      if (profile?.status === PROVISIONING)
        return {
          passed: true,
          message: `An earlier onboarding of '${org}' stopped half-way; onboarding finishes it`,
          details: { ...details, resumes_onboarding: true },
        };
      const free = !profile && !datasetExists;
      return {
        passed: free,
        message: free
          ? 'No organization or dataset with this slug exists'
          : `Organization '${org}' already exists (${[profile ? 'profile' : '', datasetExists ? 'dataset' : ''].filter(Boolean).join(' and ')})`,
        details,
      };
    });
    await check('central_tables', async () => {
      const tables = this.registry.centralTables();
      // Before the first bootstrap there is no central dataset: listing its tables would throw.
      if (!(await this.warehouse.datasetExists(CENTRAL_DATASET)))
        return {
          passed: false,
          message: NOT_BOOTSTRAPPED,
          details: {
            central_dataset_exists: false,
            missing_tables: tables.map((t) => t.name),
            out_of_sync_tables: {},
          },
        };
      const existing = new Set(await this.warehouse.listTables(CENTRAL_DATASET));
      const missing = tables.filter((t) => !existing.has(t.name)).map((t) => t.name);
      // A table without a column onboarding writes (a dataset an earlier release bootstrapped, not
      // synced since) fails the onboarding half-way, as a missing table does.
      const drifts = await Promise.all(
        tables
          .filter((t) => existing.has(t.name))
          .map(async (t) => {
            const drift = tableDrift(t, await this.warehouse.describeTable(CENTRAL_DATASET, t.name));
            return [t.name, drift] as const;
          }),
      );
      const outOfSync = Object.fromEntries(
        drifts
          .filter(([, d]) => driftIsOutOfSync(d))
          .map(([name, d]) => [
            name,
            { missing_columns: d.missing_columns, type_mismatches: d.type_mismatches },
          ]),
      );
      const differing = Object.keys(outOfSync).length;
      return {
        passed: missing.length === 0 && differing === 0,
        message: missing.length
          ? // The bootstrap itself refuses (409) once the dataset exists: its sync adds what is missing.
            `${missing.length} central table(s) missing; POST /api/v1/admin/bootstrap/sync`
          : differing
            ? `${differing} central table(s) differ from the schema; POST /api/v1/admin/bootstrap/sync`
            : 'All central tables exist',
        details: { central_dataset_exists: true, missing_tables: missing, out_of_sync_tables: outOfSync },
      };
    });

    const passed = results.filter((r) => r.passed).length;
    const allPassed = passed === results.length;
    return {
      status: allPassed ? 'SUCCESS' : 'FAILED',
      org_slug: org,
      subscription_plan: req.subscription_plan ?? 'STARTER',
      company_name: req.company_name,
      admin_email: req.admin_email,
      validation_summary: {
        total_checks: results.length,
        passed,
        failed: results.length - passed,
        all_passed: allPassed,
      },
      validation_results: results,
      message: `Dry-run validation ${allPassed ? 'passed' : 'failed'}: ${passed}/${results.length} checks passed`,
      ready_for_onboarding: allPassed,
    };
  }
}
