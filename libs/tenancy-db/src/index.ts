export * from './tenancy-db.port.js';
export * from './tenancy-db.errors.js';
export { PgliteTenancyDb, type PgliteTenancyDbOptions } from './pglite-tenancy-db.js';
export { PgTenancyDb, type PgTenancyDbOptions } from './pg-tenancy-db.js';
export { SupabaseTenancyDb, type SupabaseTenancyDbOptions } from './supabase-tenancy-db.js';
export {
  applyMigrations,
  defaultMigrationsDir,
  migrationChecksum,
  readMigrations,
  type MigrationFile,
} from './migrations.js';
export type { SqlSession, SqlTransactor } from './sql-session.js';
export {
  isPlanName,
  loadPlanLimits,
  PLAN_NAMES,
  UNLIMITED,
  type PlanLimits,
  type PlanLimitsTable,
  type PlanName,
} from './plan-limits.js';
