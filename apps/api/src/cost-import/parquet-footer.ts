import { asyncBufferFromFile, parquetMetadataAsync, parquetSchema, type SchemaTree } from 'hyparquet';

/** A top-level column as the Parquet footer declares it, before any reader interprets it. */
export interface ParquetColumn {
  name: string;
  /** The column's type when no reader of the import decodes it (JSON, BSON, INTERVAL, DECIMAL past 38 digits). */
  unreadableType: string | null;
}

/** Footer types no reader of the import decodes (Polars panics on INTERVAL). */
const UNREADABLE_KINDS: ReadonlySet<string> = new Set(['JSON', 'BSON', 'INTERVAL']);

/** The first type in the column's subtree (a struct's or list's fields) that no reader decodes. */
function unreadableType(column: SchemaTree): string | null {
  const { element } = column;
  const kind = element.logical_type?.type ?? element.converted_type;
  if (kind !== undefined && UNREADABLE_KINDS.has(kind)) return kind;
  if ((element.precision ?? 0) > 38) return `DECIMAL with ${element.precision} digits`;
  for (const child of column.children) {
    const inner = unreadableType(child);
    if (inner) return inner;
  }
  return null;
}

/**
 * The file's top-level columns as its footer declares them (hyparquet reads the footer only).
 * Polars merges columns of the same name (the last one wins) and cannot open a file with a JSON
 * column at all, so only the footer tells what the file holds. Null when the footer cannot be
 * read: Polars then reports the file as it reads it.
 */
export async function parquetColumns(file: string): Promise<ParquetColumn[] | null> {
  try {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    return parquetSchema(metadata).children.map((column) => ({
      name: column.element.name,
      unreadableType: unreadableType(column),
    }));
  } catch {
    return null;
  }
}
