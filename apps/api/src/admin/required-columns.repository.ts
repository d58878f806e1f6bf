import { Inject, Injectable } from '@nestjs/common';
import { tableRef, WAREHOUSE, type TableDescription, type TableSchema, type Warehouse } from '#warehouse';

/**
 * The REQUIRED columns of a table that hold NULL. A sync adds a missing REQUIRED column as
 * NULLABLE (BigQuery adds no REQUIRED column to a table that exists: "Cannot add required fields
 * to an existing schema", https://cloud.google.com/bigquery/docs/managing-table-schemas#add_columns),
 * so every row written before it holds NULL where the API expects a value (a profile without a
 * status is no active org: its keys are refused).
 */
@Injectable()
export class RequiredColumnsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  /** Column → rows holding NULL, for the registry's REQUIRED columns the table has as NULLABLE. */
  async nullCounts(
    dataset: string,
    schema: TableSchema,
    description: TableDescription,
  ): Promise<Record<string, number>> {
    const nullable = new Set(description.columns.filter((c) => c.mode === 'NULLABLE').map((c) => c.name));
    const relaxed = schema.fields
      .filter((f) => f.mode === 'REQUIRED' && nullable.has(f.name))
      .map((f) => f.name);
    if (!relaxed.length) return {};
    const counts = relaxed.map((c, i) => `COUNT(*) - COUNT(\`${c}\`) AS n${i}`).join(', ');
    const [row] = await this.warehouse.query(`SELECT ${counts} FROM ${tableRef(dataset, schema.name)}`);
    const found: Record<string, number> = {};
    relaxed.forEach((c, i) => {
      const n = Number(row?.[`n${i}`] ?? 0);
      if (n > 0) found[c] = n;
    });
    return found;
  }
}
