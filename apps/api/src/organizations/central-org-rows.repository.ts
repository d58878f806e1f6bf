import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, WAREHOUSE, type Warehouse } from '#warehouse';

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
}
