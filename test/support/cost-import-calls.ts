import type { Readable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { tableRef, WAREHOUSE, type Warehouse } from '#warehouse';
import { onboardOrg } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';
import { OrgLeases } from '../../apps/api/src/common/org-lease.js';

/** The upload limits of the import specs' apps: small, so a spec can cross them cheaply. */
export const LIMIT = 200_000;
export const EXPANDED_LIMIT = 5_000_000;

/** An org to import into: the app, its warehouse, and the org with its key. */
export interface ImportTarget {
  t: TestApp;
  warehouse: Warehouse;
  org: string;
  key: string;
}

/**
 * An app with the small import limits (and `env`) and a fresh org onboarded through it (slug from
 * `prefix`).
 */
export async function startImportApp(
  prefix: string,
  companyName: string,
  env: Record<string, string> = {},
  { smallLimits = true } = {},
): Promise<ImportTarget> {
  const limits = {
    COST_IMPORT_MAX_BYTES: String(LIMIT),
    COST_IMPORT_MAX_EXPANDED_BYTES: String(EXPANDED_LIMIT),
  };
  const t = await startTestApp({ ...(smallLimits ? limits : {}), ...env });
  const { org, key } = await onboardOrg(t, prefix, companyName);
  return { t, warehouse: t.app.get<Warehouse>(WAREHOUSE), org, key };
}

/**
 * Registers, in the calling file or describe block, the import target `start` makes (startImportApp,
 * mostly), started before its tests and closed after them. `t`, `warehouse`, `org` and `key` are
 * getters, read inside tests; `upload`, `billed` and `report` are importCalls bound to the target.
 */
export function importTargetForAll(start: () => Promise<ImportTarget>, timeout?: number) {
  let target: ImportTarget | undefined;
  beforeAll(async () => {
    target = await start();
  }, timeout);
  afterAll(() => target?.t.close());
  const current = (): ImportTarget => {
    if (!target) throw new Error('the import app is not started');
    return target;
  };
  return {
    get t() {
      return current().t;
    },
    get warehouse() {
      return current().warehouse;
    },
    get org() {
      return current().org;
    },
    get key() {
      return current().key;
    },
    ...importCalls(current),
  };
}

/** POSTs `payload` to the org's FOCUS import with its org key. */
export function uploadTo(
  { t, org, key }: ImportTarget,
  payload: string | Buffer | Readable,
  headers: Record<string, string>,
  query = '',
) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/organizations/${org}/costs/import${query}`,
    headers: { 'x-api-key': key, ...headers },
    payload,
  });
}

/** Rows and billed total of the org's cost table stamped with `source`. */
export async function billedBySource(
  { warehouse, org }: ImportTarget,
  source: string,
): Promise<{ n: number; billed: number }> {
  const [row] = await warehouse.query<{ n: number; billed: number }>(
    `SELECT COUNT(*) AS n, COALESCE(SUM(CAST(BilledCost AS FLOAT64)), 0) AS billed
     FROM ${tableRef(`${org}_local`, 'cost_data_standard_1_3')} WHERE x_source_system = @source`,
    { source },
  );
  return row!;
}

/**
 * uploadTo and billedBySource bound to a target that a spec's beforeAll sets (read at each call), and
 * `report`: the import report an upload's answer links to, read with the org key.
 */
export function importCalls(target: () => ImportTarget) {
  return {
    upload: (payload: string | Buffer | Readable, headers: Record<string, string>, query = '') =>
      uploadTo(target(), payload, headers, query),
    billed: (source: string) => billedBySource(target(), source),
    report: (res: { json: () => { status_url: string } }) => {
      const { t, key } = target();
      return t.app.inject({ method: 'GET', url: res.json().status_url, headers: { 'x-api-key': key } });
    },
  };
}

/**
 * Holds the org's lifecycle lease, as a re-sync does: an import's swap waits for it. Resolves once
 * it is held; `release` lets it go, `ended` settles when the hold is over.
 */
export async function holdOrgLifecycle({ t, org }: { t: TestApp; org: string }): Promise<{
  release: () => void;
  ended: Promise<unknown>;
}> {
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const ended = t.app.get(OrgLeases).hold(
    org,
    'lifecycle',
    60,
    () => new Error('busy'),
    () => {
      held();
      return released;
    },
  );
  await holding;
  return { release, ended };
}
