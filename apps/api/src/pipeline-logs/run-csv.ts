import type { PipelineRunDetailDto, StepLogDto } from './dto/pipeline-logs-response.dto.js';

/**
 * Spreadsheet apps run a cell starting with one of these as a formula (CSV injection, OWASP's
 * list), also after leading white space (which they skip) and in their full-width forms (which
 * Excel reads as the ASCII ones in East Asian locales).
 */
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])/;

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF, quotes doubled. Text that a
 * spreadsheet would evaluate gets a leading apostrophe, because run data (error messages, step
 * names) comes from upstream systems and the file is meant to be opened by people.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') text = FORMULA_START.test(value) ? `'${value}` : value;
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Records joined with CRLF, the RFC 4180 line break, including after the last record. */
export function toCsv(records: unknown[][]): string {
  return records.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const SUMMARY_FIELDS = [
  'pipeline_logging_id',
  'pipeline_id',
  'status',
  'trigger_type',
  'trigger_by',
  'start_time',
  'end_time',
  'duration_ms',
  'run_date',
  'error_message',
] as const;

const STEP_COLUMNS = [
  'step_index',
  'step_name',
  'step_type',
  'status',
  'start_time',
  'end_time',
  'duration_ms',
  'rows_processed',
  'error_message',
] as const;

/** A "Run Summary" Field/Value block, a blank line, then the header of the "Steps" table. */
export function runSummaryCsv(run: Omit<PipelineRunDetailDto, 'steps'>): string {
  return toCsv([
    ['Run Summary'],
    ['Field', 'Value'],
    ...SUMMARY_FIELDS.map((f) => [f, run[f]]),
    [],
    ['Steps'],
    [...STEP_COLUMNS],
  ]);
}

/** Rows of the "Steps" table. */
export function stepsCsv(steps: StepLogDto[]): string {
  return toCsv(steps.map((s) => STEP_COLUMNS.map((c) => s[c])));
}
