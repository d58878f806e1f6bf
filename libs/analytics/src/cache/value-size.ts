/**
 * Members of an array measured one by one; a longer array is measured by this many of its members,
 * evenly spaced, times its length. A result's rows share one shape (a listing's 10,000 rows of 25
 * fields, a granular trend's 50,000 groups), and walking them all held the event loop, every
 * tenant's requests, 100–500 ms a cached result.
 */
export const MEASURED_MEMBERS = 512;

/**
 * A rough heap size of a JSON-like value, in bytes, for the result cache's byte count. Strings
 * count 2 bytes a character, numbers 8, each object and array a fixed overhead plus its members
 * (those of a long array estimated from an even sample of MEASURED_MEMBERS of them).
 */
export function estimateValueBytes(value: unknown, depth = 0): number {
  if (value === null || value === undefined) return 8;
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2;
    case 'number':
    case 'boolean':
    case 'bigint':
      return 8;
    case 'object': {
      if (value instanceof Date) return 32;
      if (depth > 8) return 64;
      if (Array.isArray(value)) return 32 + arrayMembersBytes(value, depth + 1);
      let bytes = 48;
      for (const [k, v] of Object.entries(value))
        bytes += 8 + k.length * 2 + estimateValueBytes(v, depth + 1);
      return bytes;
    }
    default:
      return 16;
  }
}

function arrayMembersBytes(array: readonly unknown[], depth: number): number {
  const n = array.length;
  if (n <= MEASURED_MEMBERS) return array.reduce<number>((sum, v) => sum + estimateValueBytes(v, depth), 0);
  let sampled = 0;
  for (let i = 0; i < MEASURED_MEMBERS; i++)
    sampled += estimateValueBytes(array[Math.floor((i * n) / MEASURED_MEMBERS)], depth);
  return Math.round((sampled / MEASURED_MEMBERS) * n);
}
