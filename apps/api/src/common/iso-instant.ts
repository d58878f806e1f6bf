/**
 * An instant as every response of the API writes it, `2026-12-06T03:40:18.774Z`. The tenancy DB
 * renders timestamptz as PostgREST does (`+00:00`, 0 to 6 decimals), which older ISO parsers
 * (Python before 3.11) refuse. What a Date cannot hold (`infinity`, a year past 9999, written by
 * hand) is passed on as stored rather than failing the response.
 */
export function isoInstant(text: string): string {
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? text : at.toISOString();
}

/** isoInstant, with null (and an empty value) as null. */
export const isoInstantOrNull = (text: string | null | undefined): string | null =>
  text ? isoInstant(text) : null;
