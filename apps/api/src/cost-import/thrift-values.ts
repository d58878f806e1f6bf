/**
 * Compact-protocol types as a field header or a list header names them
 * (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md).
 */
const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

/** The values of a Parquet footer are more than `limit` (its decoder would build them all). */
export class ThriftValuesExceeded extends Error {}

/** The bytes of one Thrift value: a cursor that refuses to read past the end. */
class Reader {
  offset: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.offset = start;
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('Thrift data ends early');
    return this.bytes[this.offset++]!;
  }

  /**
   * A varint as hyparquet reads one (32-bit, `|=` and `<<`), so that a count or a length is the one
   * its decoder would act on, a corrupt one included.
   */
  varint(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  }

  skip(n: number): void {
    if (n < 0 || n > this.bytes.length - this.offset) throw new RangeError('Thrift data ends early');
    this.offset += n;
  }
}

/** What is still to be read: the fields of a struct, or the elements of a list left. */
type Frame = { kind: 'struct' } | { kind: 'list'; type: number; left: number };

/**
 * How many values (struct fields and list elements, nested ones included) the compact-protocol
 * struct at `start` holds, counted without building any: throws ThriftValuesExceeded past `limit`,
 * RangeError where hyparquet's decoder fails too (the data is not a whole struct), never before it. A Parquet footer declares its lists' lengths, one
 * byte an element for an empty struct, so a decoder that builds what it reads (hyparquet builds an
 * object for each struct, synchronously) can be made to build tens of millions of objects from a
 * few megabytes, which gzip shrinks to kilobytes. Counted iteratively: nesting costs no stack.
 */
export function countThriftValues(bytes: Uint8Array, start: number, limit: number): number {
  const r = new Reader(bytes, start);
  const stack: Frame[] = [{ kind: 'struct' }];
  let values = 0;
  const counted = () => {
    if (++values > limit) throw new ThriftValuesExceeded(`more than ${limit} Thrift values`);
  };
  /** Reads a value of `type`; a struct or a list is pushed, to be read next. */
  const value = (type: number) => {
    counted();
    switch (type) {
      case TRUE:
      case FALSE:
        // A bool field is its header alone (a bool element is read by the list).
        return;
      case BYTE:
        r.skip(1);
        return;
      case I16:
      case I32:
      case I64:
        r.varint();
        return;
      case DOUBLE:
        r.skip(8);
        return;
      case BINARY:
        r.skip(r.varint());
        return;
      case LIST:
      case SET: {
        const header = r.byte();
        const size = header >> 4 === 15 ? r.varint() : header >> 4;
        if (size < 0) throw new RangeError('Thrift list of a negative size');
        stack.push({ kind: 'list', type: header & 0x0f, left: size });
        return;
      }
      case STRUCT:
        stack.push({ kind: 'struct' });
        return;
      default:
        // MAP is not in Parquet's metadata; anything else is not Thrift.
        throw new RangeError(`Thrift type ${type === MAP ? 'map' : type} not expected`);
    }
  };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.kind === 'list') {
      if (frame.left === 0) {
        stack.pop();
        continue;
      }
      frame.left--;
      // A bool element is a byte of its own (a bool field's value is in its header).
      if (frame.type === TRUE || frame.type === FALSE) {
        counted();
        r.byte();
      } else value(frame.type);
      continue;
    }
    const header = r.byte();
    if ((header & 0x0f) === STOP) {
      stack.pop();
      continue;
    }
    // A field id as a delta in the header, or (delta 0) as a zigzag varint after it.
    if (header >> 4 === 0) r.varint();
    value(header & 0x0f);
  }
  return values;
}
