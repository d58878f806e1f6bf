import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, WAREHOUSE, type Warehouse } from '#warehouse';
import { entriesWithout, namesOrg } from '../pipeline-logs/batch-entries.sql.js';
import { ALL_ORGS } from '../pipeline-logs/pipeline-logs.repository.js';

/** The batch records of run-all; a platform-wide one (org_slug ALL) names every org it touched. */
export const BATCH_RUNS_TABLE = 'org_meta_pipeline_batch_runs';

/**
 * Row counts and deletes by org slug on any central table, named by the schema registry (the
 * caller passes only registry table names; `central()` still validates the identifier).
 */
@Injectable()
export class CentralOrgRowsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async existingTables(): Promise<Set<string>> {
    return new Set(await this.warehouse.listTables(CENTRAL_DATASET));
  }

  async count(table: string, org: string): Promise<number> {
    const rows = await this.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${central(table)} WHERE org_slug = @org`,
      { org },
    );
    return Number(rows[0]?.n ?? 0);
  }

  async delete(table: string, org: string): Promise<number> {
    return this.warehouse.execute(`DELETE FROM ${central(table)} WHERE org_slug = @org`, { org });
  }

  /**
   * Removes the org's entries from the platform-wide batch records' results and errors (an UPDATE:
   * those records are no org's rows to delete, and name every org their run-all touched). Returns
   * how many records changed.
   */
  async removeFromPlatformBatches(org: string): Promise<number> {
    // Only a column naming the org is rewritten: the other keeps its value (a NULL stays NULL).
    const without = (column: string) =>
      `CASE WHEN ${namesOrg(column, 'org')} THEN ${entriesWithout(column, 'org')} ELSE ${column} END`;
    return this.warehouse.execute(
      `UPDATE ${central(BATCH_RUNS_TABLE)}
       SET results = ${without('results')}, errors = ${without('errors')}
       WHERE org_slug = @all_orgs AND (${namesOrg('results', 'org')} OR ${namesOrg('errors', 'org')})`,
      { org, all_orgs: ALL_ORGS },
    );
  }
}
