import os from 'node:os';
import { ValidateBy } from 'class-validator';

const UNIT_BYTES: Readonly<Record<string, number>> = {
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B)$/i;
const PERCENT = /^(\d{1,2})%$/;
/** Below this DuckDB cannot run the warehouse's queries (a cost frame's export alone needs more). */
const MIN_BYTES = 64 * 1024 ** 2;
/**
 * More than any machine has: from 2^64 bytes on, DuckDB's setting overflowed and the start failed
 * with "Failed to set config", blamed on DUCKDB_PATH.
 */
const MAX_BYTES = 1024 ** 5;

/** The memory this process may use: its cgroup's limit (a container's), else the machine's. */
export function machineMemoryBytes(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = os.totalmem();
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * DUCKDB_MEMORY_LIMIT in bytes: a size (`2GiB`, `1500MB`) or a share of the machine's memory
 * (`25%`, 1 to 90); undefined when it is neither, below 64 MiB or above 1 PiB.
 */
export function memoryLimitBytes(value: unknown, machineBytes = machineMemoryBytes()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const percent = PERCENT.exec(text);
  const size = SIZE.exec(text);
  let bytes: number | undefined;
  if (percent && Number(percent[1]) >= 1 && Number(percent[1]) <= 90)
    bytes = Math.floor((machineBytes * Number(percent[1])) / 100);
  else if (size) bytes = Math.floor(Number(size[1]) * UNIT_BYTES[size[2].toUpperCase()]);
  return bytes !== undefined && bytes >= MIN_BYTES && bytes <= MAX_BYTES ? bytes : undefined;
}

/** As DuckDB's memory_limit setting takes it: whole MiB. */
export const duckDbMemoryLimit = (bytes: number): string => `${Math.floor(bytes / 1024 ** 2)}MiB`;

export const IsMemoryLimit = () =>
  ValidateBy({
    name: 'isMemoryLimit',
    validator: {
      validate: (value: unknown) => memoryLimitBytes(value) !== undefined,
      defaultMessage: () =>
        'DUCKDB_MEMORY_LIMIT must be a size of at least 64 MiB and at most 1 PiB (2GiB, 1500MB) or a share of the machine memory from 1% to 90% (25%)',
    },
  });
