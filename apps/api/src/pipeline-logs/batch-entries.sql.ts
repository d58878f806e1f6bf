/**
 * BigQuery SQL over a batch record's `results` or `errors` entries, so that a platform-wide (ALL)
 * batch's entries of one org can be picked out, or removed, in the warehouse: such a record names
 * every org a run-all touched, and only one org's entries are ever wanted.
 */

/**
 * The column's entries as an ARRAY<JSON>: its JSON array, or the array stored as JSON text inside
 * the JSON value (as the replaced system stored them); NULL for anything else.
 */
function entries(column: string): string {
  return `COALESCE(JSON_QUERY_ARRAY(${column}), JSON_QUERY_ARRAY(SAFE.PARSE_JSON(JSON_VALUE(${column}))))`;
}

/** The org an entry `e` names (NULL for an entry that is not an object naming one). */
const ENTRY_ORG = "JSON_VALUE(e, '$.org_slug')";

/** The entries of `column` that name the org `@param`, in their order, as a JSON array. */
export function entriesOf(column: string, param: string): string {
  return `TO_JSON(ARRAY(SELECT e FROM UNNEST(${entries(column)}) AS e WITH OFFSET AS i
    WHERE ${ENTRY_ORG} = @${param} ORDER BY i))`;
}

/** The entries of `column` but those naming the org `@param`, in their order, as a JSON array. */
export function entriesWithout(column: string, param: string): string {
  return `TO_JSON(ARRAY(SELECT e FROM UNNEST(${entries(column)}) AS e WITH OFFSET AS i
    WHERE ${ENTRY_ORG} IS DISTINCT FROM @${param} ORDER BY i))`;
}

/** Whether `column` has an entry naming the org `@param`. */
export function namesOrg(column: string, param: string): string {
  return `EXISTS(SELECT 1 FROM UNNEST(${entries(column)}) AS e WHERE ${ENTRY_ORG} = @${param})`;
}
