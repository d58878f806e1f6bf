import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { configsDir } from '#platform';

export const PLAN_NAMES = ['STARTER', 'PROFESSIONAL', 'SCALE', 'ENTERPRISE'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

/** A limit of this value means "unlimited" (ENTERPRISE), as the system this one replaces stored it. */
export const UNLIMITED = 999_999;

/** One plan's defaults, named as in configs/plans.json and the API's responses. */
export interface PlanLimits {
  seat_limit: number;
  providers_limit: number;
  daily_limit: number;
  monthly_limit: number;
  concurrent_limit: number;
  /** Monthly price in USD; null for a custom (ENTERPRISE) price. */
  price_usd: number | null;
}

export type PlanLimitsTable = Readonly<Record<PlanName, Readonly<PlanLimits>>>;

const LIMIT_FIELDS = [
  'seat_limit',
  'providers_limit',
  'daily_limit',
  'monthly_limit',
  'concurrent_limit',
] as const;

export function isPlanName(value: string): value is PlanName {
  return (PLAN_NAMES as readonly string[]).includes(value);
}

function parsePlan(file: string, name: PlanName, raw: unknown): PlanLimits {
  const fail = (what: string): Error => new Error(`${file}: plan ${name} ${what}`);
  if (typeof raw !== 'object' || raw === null) throw fail('is missing');
  const entry = raw as Record<string, unknown>;
  const limits = {} as Record<(typeof LIMIT_FIELDS)[number], number>;
  for (const field of LIMIT_FIELDS) {
    const value = entry[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw fail(`needs ${field} as a non-negative integer`);
    }
    limits[field] = value;
  }
  const price = entry.price_usd;
  if (price !== null && (typeof price !== 'number' || !Number.isFinite(price) || price < 0)) {
    throw fail('needs price_usd as a non-negative number or null');
  }
  return { ...limits, price_usd: price };
}

/**
 * Reads configs/plans.json, the single source of plan defaults, and checks every plan is there
 * with every field; a malformed file fails here, at start-up, naming the plan and field.
 */
export async function loadPlanLimits(dir: string = configsDir()): Promise<PlanLimitsTable> {
  const file = path.join(dir, 'plans.json');
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (typeof raw !== 'object' || raw === null) throw new Error(`${file}: expected an object keyed by plan`);
  const entries = raw as Record<string, unknown>;
  const unknown = Object.keys(entries).filter((k) => !isPlanName(k));
  if (unknown.length > 0) throw new Error(`${file}: unknown plans ${unknown.join(', ')}`);
  const table = Object.fromEntries(
    PLAN_NAMES.map((name) => [name, Object.freeze(parsePlan(file, name, entries[name]))]),
  );
  return Object.freeze(table) as PlanLimitsTable;
}
