/**
 * A rough heap size of a JSON-like value, in bytes, for the result cache's byte count. Strings
 * count 2 bytes a character, numbers 8, each object and array a fixed overhead plus its members.
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
      if (Array.isArray(value))
        return value.reduce<number>((n, v) => n + estimateValueBytes(v, depth + 1), 32);
      let bytes = 48;
      for (const [k, v] of Object.entries(value))
        bytes += 8 + k.length * 2 + estimateValueBytes(v, depth + 1);
      return bytes;
    }
    default:
      return 16;
  }
}
