import { type DynamicModule, Global, Module } from '@nestjs/common';
import { COST_CACHE_OPTIONS, type CostCacheOptions } from '#analytics';
import { generateFocusRows, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey, type OrgKeyOptions } from '#test/org-factory';
import type { TestApp } from '#test/test-app';
import { WAREHOUSE, type Warehouse } from '#warehouse';

/** The cost cache's clock, set by the test. */
export class FakeClock {
  constructor(public ms: number) {}
  readonly now = () => this.ms;
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** Mounted on a test app: the cost cache's options (a fake clock, small bounds). */
@Global()
@Module({})
export class CostCacheOptionsModule {
  static with(options: CostCacheOptions): DynamicModule {
    return {
      module: CostCacheOptionsModule,
      providers: [{ provide: COST_CACHE_OPTIONS, useValue: options }],
      exports: [COST_CACHE_OPTIONS],
    };
  }
}

/** A new org with a key and `rows` FOCUS rows from 2024-01-01 to 2025-03-10. */
export async function seededOrg(t: TestApp, rows = 300, keyOptions: OrgKeyOptions = {}) {
  const warehouse = t.app.get<Warehouse>(WAREHOUSE);
  const { org, key, keyId } = await anOrgWithKey(warehouse, keyOptions);
  await writeFocusRows(
    warehouse,
    t.config.orgDataset(org),
    generateFocusRows({ org, rows, seed: 7, start: '2024-01-01', end: '2025-03-10' }),
  );
  return { org, key, keyId, headers: { 'x-api-key': key } };
}
