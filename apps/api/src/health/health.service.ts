import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '#platform';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { SchemaRegistry, WAREHOUSE, CENTRAL_DATASET, type Warehouse } from '#warehouse';

export interface CheckResult {
  status: 'ok' | 'failing';
  latency_ms: number;
  error?: string;
}

/** The tables without which no authenticated route can work. */
const SETUP_TABLES = ['org_profiles', 'org_api_keys'];

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  constructor(
    private readonly config: AppConfig,
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(TENANCY_DB) private readonly tenancyDb: TenancyDb,
    private readonly registry: SchemaRegistry,
  ) {}

  /** Each dependency must answer within the timeout; the message never carries connection details. */
  async readiness(): Promise<Record<string, CheckResult>> {
    const ms = this.config.env.HEALTH_CHECK_TIMEOUT_MS;
    const run = async (name: string, work: () => Promise<unknown>): Promise<[string, CheckResult]> => {
      const start = performance.now();
      try {
        await withTimeout(work(), ms, name);
        return [name, { status: 'ok', latency_ms: Math.round(performance.now() - start) }];
      } catch (err) {
        const timedOut = err instanceof Error && err.message.includes('did not answer');
        return [
          name,
          {
            status: 'failing',
            latency_ms: Math.round(performance.now() - start),
            error: timedOut ? 'timeout' : 'unavailable',
          },
        ];
      }
    };
    const results = await Promise.all([
      run('warehouse', () => this.warehouse.ping(ms)),
      run('tenancy_db', () => this.tenancyDb.ping(ms)),
      run('setup', async () => {
        const tables = new Set(await this.warehouse.listTables(CENTRAL_DATASET));
        const missing = SETUP_TABLES.filter((t) => this.registry.centralTable(t) && !tables.has(t));
        if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
      }),
    ]);
    return Object.fromEntries(results);
  }
}
