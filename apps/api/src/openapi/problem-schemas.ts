import type { SchemaObject } from '@nestjs/swagger';

/** The problem+json media type of every error answer (PROBLEM_CONTENT_TYPE without its charset). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const PROBLEM_SCHEMA = 'Problem';
export const VALIDATION_PROBLEM_SCHEMA = 'ValidationProblem';

/** What a refused or failed cost import adds (its report's figures, the columns at fault). */
const COST_IMPORT_MEMBERS: Record<string, SchemaObject> = {
  import_id: { type: 'string', format: 'uuid', description: 'The import concerned' },
  status_url: { type: 'string', description: "Where that import's report is read" },
  rows_read: { type: 'integer', description: 'With a failed import: data rows read' },
  rows_rejected: { type: 'integer', description: 'With a failed import: data rows refused' },
  row_errors: {
    type: 'array',
    description: 'With a failed import: the first refused rows and why',
    items: {
      type: 'object',
      properties: {
        row: { type: 'integer' },
        column: { type: 'string', nullable: true },
        message: { type: 'string' },
      },
      required: ['row', 'column', 'message'],
    },
  },
  errors_truncated: {
    type: 'boolean',
    description: 'With a failed import: row_errors is the first ones only',
  },
  missing_columns: {
    type: 'array',
    items: { type: 'string' },
    description: 'With a file lacking mandatory FOCUS columns: their names',
  },
  focus_version: {
    type: 'string',
    description: 'With missing_columns: the FOCUS version the file was read as',
  },
  duplicate_columns: {
    type: 'array',
    items: { type: 'string' },
    description: 'With COST_IMPORT_DUPLICATE_COLUMNS: the columns named twice',
  },
  max_parts: { type: 'integer', description: 'With COST_IMPORT_TOO_MANY_PARTS: the limit' },
};

/** The members of every problem (buildProblem), and the extension members some codes add. */
const PROBLEM_PROPERTIES: Record<string, SchemaObject> = {
  type: {
    type: 'string',
    format: 'uri',
    example: 'https://errors.finops-api.dev/org-forbidden',
    description: 'Identifies the problem: the code, lower-cased and hyphenated, under errors.finops-api.dev',
  },
  title: { type: 'string', description: "The code's fixed title" },
  status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status' },
  detail: {
    type: 'string',
    description: 'What happened to this request; for a server failure (5xx), the title only',
  },
  instance: { type: 'string', description: 'The path of the request' },
  code: {
    type: 'string',
    pattern: '^[A-Z0-9_]+$',
    example: 'ORG_FORBIDDEN',
    description: 'Stable machine-readable code; each status lists the codes it can carry',
  },
  request_id: {
    type: 'string',
    description: 'The X-Request-ID of the request, to quote when reporting a problem',
  },
  retry_after_seconds: {
    type: 'integer',
    minimum: 0,
    description: 'With RATE_LIMITED and the other refusals to retry later: the Retry-After header in seconds',
  },
  limit: { type: 'integer', description: 'With RATE_LIMITED: the limit that refused the request' },
  field: {
    type: 'string',
    example: 'include_credentials',
    description:
      'With a refusal of one request field outside validation (CREDENTIALS_FORBIDDEN): the field; with ' +
      'PIPELINE_SERVICE_BAD_GATEWAY, the field of the answer that was unreadable',
  },
  missing_scopes: {
    type: 'array',
    items: { type: 'string' },
    description: 'With INSUFFICIENT_SCOPE: the scopes the API key lacks',
  },
  ...COST_IMPORT_MEMBERS,
  reservation_status: {
    type: 'string',
    description:
      "With a heartbeat of a run no longer live: the reservation's status (EXPIRED, or how the run was completed)",
  },
  reservation_run_id: {
    type: 'string',
    description: "With a reservation_id of another run than pipeline_logging_id: that run's id",
  },
  dataset_id: { type: 'string', description: 'With DATASET_EXISTS: the dataset an earlier org left' },
  changed: {
    oneOf: [{ type: 'boolean' }, { type: 'string', enum: ['unknown'] }],
    description:
      'With a subscription update that failed: whether anything was written (`unknown`: send it again)',
  },
  upstream_status: {
    type: 'integer',
    description: 'With a pipeline service answer that is no JSON object: its HTTP status',
  },
  write_outcome: {
    type: 'string',
    enum: ['unknown'],
    description: 'With a warehouse write whose end was not seen: it may have been committed',
  },
  timeout_ms: { type: 'integer', description: 'With WAREHOUSE_TIMEOUT: the time limit that was reached' },
  start_date: { type: 'string', format: 'date', description: 'With COST_ROW_OUT_OF_RANGE: the period read' },
  end_date: {
    type: 'string',
    format: 'date',
    description: 'With COST_ROW_OUT_OF_RANGE: the end of that period',
  },
  out_of_range_rows: {
    type: 'integer',
    description: 'With COST_ROW_OUT_OF_RANGE: the cost rows of the period past the range a read sums',
  },
};

const REQUIRED = ['type', 'title', 'status', 'detail', 'code', 'request_id'];

/** RFC 9457 problem details (see CONVENTIONS.md, libs/platform/src/errors/problem.ts). */
const problem: SchemaObject = {
  type: 'object',
  description:
    'RFC 9457 problem details, the body of every error (`application/problem+json`). A code may add ' +
    'members of its own, as RFC 9457 §3.2 allows (the route names them).',
  properties: PROBLEM_PROPERTIES,
  required: REQUIRED,
  additionalProperties: true,
};

/** A 422: the same members, and with VALIDATION_FAILED every refused field. */
const validationProblem: SchemaObject = {
  ...problem,
  description:
    'A problem of status 422. With code VALIDATION_FAILED, `errors` lists every refused field ' +
    '(query, path, body or header) with its message.',
  properties: {
    ...PROBLEM_PROPERTIES,
    status: { type: 'integer', enum: [422], description: 'The HTTP status' },
    errors: {
      type: 'array',
      description: 'Every refused field and why; always present with VALIDATION_FAILED',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string', example: 'start_date', description: 'The field, dotted when nested' },
          message: { type: 'string', example: 'start_date must be a calendar date as YYYY-MM-DD' },
        },
        required: ['field', 'message'],
        additionalProperties: false,
      },
    },
  },
};

export const PROBLEM_SCHEMAS: Record<string, SchemaObject> = {
  [PROBLEM_SCHEMA]: problem,
  [VALIDATION_PROBLEM_SCHEMA]: validationProblem,
};

/** Content of an error response: problem+json with the schema for its status. */
export function problemContent(status: number): Record<string, { schema: { $ref: string } }> {
  const schema = status === 422 ? VALIDATION_PROBLEM_SCHEMA : PROBLEM_SCHEMA;
  return { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${schema}` } } };
}
