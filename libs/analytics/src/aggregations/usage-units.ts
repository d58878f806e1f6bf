/**
 * Which consumed unit represents a service's usage, and how it reads. A service can report
 * several units (hours, bytes, requests); the dashboard shows one: the highest priority, then
 * the one carrying the most cost.
 */
export type UsageUnitKind = 'time' | 'bytes' | 'requests' | 'byte_time' | 'other';

/** A quantity of bytes: the unit is `byte` or `bytes` itself (reference §1.4), not gibibyte or megabytes. */
const BYTES = /^bytes?$/;
/** Byte-seconds: a bare byte (as a whole word) times seconds, not gibibyte-seconds. */
const BYTE_SECONDS = /(?:^|[^a-z])bytes?[-\s]?seconds?(?:$|[^a-z])/;

/**
 * Only bytes and byte-seconds are scaled (to KiB…TiB, to GiB-hours): a unit that already counts
 * gibibytes or megabytes is any other unit, its quantity shown as is (scaled as a count of bytes,
 * 150 gibibyte read "150 B").
 */
export function usageUnitKind(unit: string): UsageUnitKind {
  const u = unit.trim().toLowerCase();
  if (BYTE_SECONDS.test(u)) return 'byte_time';
  if (u.includes('second')) return u.includes('byte') ? 'other' : 'time';
  if (BYTES.test(u)) return 'bytes';
  if (u.includes('request') || u.includes('call')) return 'requests';
  return 'other';
}

const PRIORITY: Record<UsageUnitKind, number> = { time: 3, bytes: 2, requests: 1, byte_time: 0, other: 0 };

export function usageUnitPriority(unit: string): number {
  return PRIORITY[usageUnitKind(unit)];
}

const KIB = 1024;
const fixed = (value: number, digits: number) => value.toFixed(digits);

function formatBytes(q: number): string {
  const units: [number, string][] = [
    [KIB ** 4, 'TiB'],
    [KIB ** 3, 'GiB'],
    [KIB ** 2, 'MiB'],
    [KIB, 'KiB'],
  ];
  for (const [size, name] of units) if (Math.abs(q) >= size) return `${fixed(q / size, 2)} ${name}`;
  return `${Math.round(q)} B`;
}

function formatByteSeconds(q: number): string {
  const gibHours = q / (KIB ** 3 * 3600);
  if (Math.abs(gibHours) >= KIB) return `${fixed(gibHours / KIB, 2)} TiB-hrs`;
  if (Math.abs(gibHours) < 1) return `${fixed(gibHours * KIB, 2)} MiB-hrs`;
  return `${fixed(gibHours, 2)} GiB-hrs`;
}

function formatSeconds(q: number): string {
  return Math.abs(q) >= 3600 ? `${fixed(q / 3600, 1)} hrs` : `${Math.round(q)} sec`;
}

function formatRequests(q: number): string {
  if (Math.abs(q) >= 1e6) return `${fixed(q / 1e6, 2)}M reqs`;
  if (Math.abs(q) >= 1e3) return `${fixed(q / 1e3, 1)}K reqs`;
  return `${Math.round(q)} reqs`;
}

function formatOther(q: number, unit: string): string {
  if (Math.abs(q) >= 1e9) return `${fixed(q / 1e9, 2)}B ${unit}`;
  if (Math.abs(q) >= 1e6) return `${fixed(q / 1e6, 2)}M ${unit}`;
  if (Math.abs(q) >= 1e3) return `${fixed(q / 1e3, 2)}K ${unit}`;
  return `${Number(q.toFixed(2))} ${unit}`;
}

/** "12.5 hrs", "3.20 GiB", "1.25M reqs", "4.10K tokens". */
export function formatUsage(quantity: number, unit: string): string {
  switch (usageUnitKind(unit)) {
    case 'time':
      return formatSeconds(quantity);
    case 'bytes':
      return formatBytes(quantity);
    case 'byte_time':
      return formatByteSeconds(quantity);
    case 'requests':
      return formatRequests(quantity);
    case 'other':
      return formatOther(quantity, unit);
  }
}
