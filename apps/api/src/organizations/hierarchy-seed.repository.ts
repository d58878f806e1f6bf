import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, type Row, WAREHOUSE, type Warehouse } from '#warehouse';

const LEVELS = 'org_hierarchy_levels';
const ENTITIES = 'org_hierarchy';

/** Writes of the default hierarchy into the central hierarchy tables. */
@Injectable()
export class HierarchySeedRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async existingLevelCodes(org: string): Promise<Set<string>> {
    const rows = await this.warehouse.query<{ level_code: string }>(
      `SELECT level_code FROM ${central(LEVELS)} WHERE org_slug = @org`,
      { org },
    );
    return new Set(rows.map((r) => r.level_code));
  }

  async existingEntityIds(org: string): Promise<Set<string>> {
    const rows = await this.warehouse.query<{ entity_id: string }>(
      `SELECT entity_id FROM ${central(ENTITIES)} WHERE org_slug = @org`,
      { org },
    );
    return new Set(rows.map((r) => r.entity_id));
  }

  async insertLevels(rows: Row[]): Promise<number> {
    return rows.length ? this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: LEVELS }, rows) : 0;
  }

  async insertEntities(rows: Row[]): Promise<number> {
    return rows.length ? this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: ENTITIES }, rows) : 0;
  }

  /** Entities first: levels are what entities refer to. */
  async deleteForOrg(org: string): Promise<void> {
    await this.warehouse.execute(`DELETE FROM ${central(ENTITIES)} WHERE org_slug = @org`, { org });
    await this.warehouse.execute(`DELETE FROM ${central(LEVELS)} WHERE org_slug = @org`, { org });
  }
}
