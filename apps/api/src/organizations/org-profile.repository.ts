import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, param, type QueryParams, WAREHOUSE, type Warehouse } from '#warehouse';

const TABLE = 'org_profiles';

/** A row of `organizations.org_profiles`. */
export interface ProfileRow {
  org_slug: string;
  company_name: string;
  admin_email: string;
  org_dataset_id: string;
  status: string;
  subscription_plan: string | null;
  default_currency: string | null;
  default_country: string | null;
  default_language: string | null;
  default_timezone: string | null;
  fiscal_year_start_month: number | null;
  created_at: Date;
  updated_at: Date | null;
  [column: string]: unknown;
}

/**
 * The profile's status from its first write until the last step of a creation (onboarding, admin
 * create): its keys are refused and run-all skips it, so a creation cut off half-way (its
 * compensation lives in memory) never leaves an org that looks ready. The next onboarding request
 * for the slug finishes it.
 */
export const PROVISIONING = 'PROVISIONING';

/**
 * The columns a re-sync, a locale change (fiscal-year start included), a plan change or an
 * activation may set.
 */
export type ProfilePatch = Partial<
  Pick<
    ProfileRow,
    | 'company_name'
    | 'admin_email'
    | 'subscription_plan'
    | 'default_currency'
    | 'default_country'
    | 'default_language'
    | 'default_timezone'
    | 'fiscal_year_start_month'
    | 'status'
  >
>;

const PATCHABLE: ReadonlySet<string> = new Set([
  'company_name',
  'admin_email',
  'subscription_plan',
  'default_currency',
  'default_country',
  'default_language',
  'default_timezone',
  'fiscal_year_start_month',
  'status',
]);

/** The patchable INT64 columns; the others are STRING. */
const INT_COLUMNS: ReadonlySet<string> = new Set(['fiscal_year_start_month']);

const COLUMNS = `org_slug, company_name, admin_email, org_dataset_id, status, subscription_plan,
  default_currency, default_country, default_language, default_timezone, fiscal_year_start_month,
  created_at, updated_at`;

/** The org registry in the central dataset: the only SQL on `org_profiles`. */
@Injectable()
export class OrgProfileRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async find(org: string): Promise<ProfileRow | null> {
    const rows = await this.warehouse.query<ProfileRow>(
      `SELECT ${COLUMNS} FROM ${central(TABLE)} WHERE org_slug = @org LIMIT 1`,
      { org },
    );
    return rows[0] ?? null;
  }

  async insert(row: ProfileRow): Promise<void> {
    await this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: TABLE }, [row]);
  }

  /** The last step of a creation: the org leaves PROVISIONING. */
  async activate(org: string): Promise<void> {
    await this.update(org, { status: 'ACTIVE' }, new Date());
  }

  async update(org: string, patch: ProfilePatch, now: Date): Promise<number> {
    const entries = Object.entries(patch).filter(([k, v]) => PATCHABLE.has(k) && v !== undefined);
    const params: QueryParams = { org, updated_at: param.timestamp(now) };
    const sets = ['updated_at = @updated_at'];
    for (const [column, value] of entries) {
      sets.push(`${column} = @${column}`);
      params[column] = INT_COLUMNS.has(column)
        ? param.int(value as number | null)
        : param.string(value as string | null);
    }
    return this.warehouse.execute(
      `UPDATE ${central(TABLE)} SET ${sets.join(', ')} WHERE org_slug = @org`,
      params,
    );
  }

  async delete(org: string): Promise<number> {
    return this.warehouse.execute(`DELETE FROM ${central(TABLE)} WHERE org_slug = @org`, { org });
  }

  /** One page, newest first (slug breaks ties so pages never overlap). */
  async page(status: string | undefined, limit: number, offset: number): Promise<ProfileRow[]> {
    const params: QueryParams = { limit: param.int(limit), offset: param.int(offset) };
    if (status) params.status = status;
    return this.warehouse.query<ProfileRow>(
      `SELECT ${COLUMNS} FROM ${central(TABLE)}
       ${status ? 'WHERE status = @status' : ''}
       ORDER BY created_at DESC, org_slug
       LIMIT @limit OFFSET @offset`,
      params,
    );
  }

  async count(status: string | undefined): Promise<number> {
    const rows = await this.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${central(TABLE)} ${status ? 'WHERE status = @status' : ''}`,
      status ? { status } : {},
    );
    return Number(rows[0]?.n ?? 0);
  }
}
