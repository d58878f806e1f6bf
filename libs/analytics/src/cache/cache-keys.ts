import type { IsoDate } from '../calendar/iso-date.js';
import type { CostFrameColumns } from '../frame/cost-frame.js';
import type { ResultKey } from './cost-cache.types.js';

// The cost cache's keys: every one starts with the org, so an org's entries are found by prefix.

/** The generation of a frame whose results must not be cached (no org is ever at it). */
export const UNCACHEABLE = -1;

export function framePeriodPrefix(org: string, start: IsoDate, end: IsoDate): string {
  return `${org}|frame|${start}|${end}|`;
}

export function frameKey(org: string, start: IsoDate, end: IsoDate, columns: CostFrameColumns): string {
  return `${framePeriodPrefix(org, start, end)}${columns}`;
}

/** The org a key of the cost cache belongs to. */
export function orgOfKey(key: string): string {
  return key.slice(0, key.indexOf('|'));
}

/** Whether a key of the cost cache is the org's. */
export const keyOfOrg = (org: string) => (key: string) => key.startsWith(`${org}|`);

export function resultKey(org: string, key: ResultKey): string {
  return `${org}|${key.kind}|${key.start}|${key.end}|${key.variant}`;
}
