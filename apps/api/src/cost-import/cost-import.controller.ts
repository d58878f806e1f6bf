import type { Readable } from 'node:stream';
import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiAcceptedResponse,
  ApiResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OrgKeyOrRootAuth, OrgParamDto } from '#platform';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { CostImportService } from './cost-import.service.js';
import {
  DEFAULT_CREDENTIAL_ID,
  ImportIdParamDto,
  ImportQueryDto,
  ImportReportDto,
  importStatusUrl,
} from './dto/cost-import.dto.js';
import { headerRefs } from '../openapi/response-headers.js';
import { IMPORT_ROUTE_CONFIG } from './import-body-parser.js';
import type { ImportJob } from './import-job.js';
import { IMPORT_MEDIA_TYPES, mediaType } from './import-upload.js';

function isStream(body: unknown): body is Readable {
  return typeof (body as Readable | null)?.pipe === 'function';
}

/** `Prefer: respond-async` (RFC 7240) asks for 202 whatever the file size. */
function prefersAsync(request: FastifyRequest): boolean {
  const prefer = request.headers.prefer;
  return (Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '')).toLowerCase().includes('respond-async');
}

/** A synchronous import that failed answers with its problem and the report's key figures. */
function failureOf(job: ImportJob): CostImportError {
  const code = (job.failure?.code ?? CostImportErrorCode.ImportFailed) as CostImportErrorCode;
  return new CostImportError(code, job.failure?.message ?? 'The import failed.', {
    extra: {
      import_id: job.id,
      status_url: importStatusUrl(job.org, job.id),
      rows_read: job.rowsRead,
      rows_rejected: job.rowsRejected,
      row_errors: job.errors,
      errors_truncated: job.errorsTruncated,
    },
  });
}

@ApiTags('cost-import')
@Controller('api/v1/admin/organizations/:org/costs/import')
export class CostImportController {
  constructor(private readonly imports: CostImportService) {}

  @Post()
  @HttpCode(200)
  @OrgKeyOrRootAuth('org:write')
  @RouteConfig(IMPORT_ROUTE_CONFIG)
  @ApiOperation({
    summary: 'Import a FOCUS 1.2/1.3 cost file (CSV or Parquet, optionally gzip) into the org',
    description:
      'The body is the file itself (no multipart), with Content-Type text/csv, ' +
      'application/vnd.apache.parquet, application/gzip or application/octet-stream; the format is ' +
      'identified by content and must match the declared type. An export in parts is sent as its ' +
      'parts back to back (cat part-*.csv.gz, or part-*.parquet; at most 1,000 Parquet parts) and imported as one ' +
      'file. Files over COST_IMPORT_MAX_BYTES ' +
      '(1 GiB by default) are refused with 413 before they are read; so are, with 409, a file of an ' +
      "org whose previous file is still arriving or waiting for its import's turn on the instance, " +
      'and, with 503 and Retry-After, one past COST_IMPORT_MAX_CONCURRENT_UPLOADS files being ' +
      'received at once. Mandatory FOCUS columns are ' +
      'checked at once (422); FOCUS 1.2 names (ProviderName, PublisherName) are mapped to their 1.3 ' +
      'successors. The rows replace those of the same source_system and of the billing periods ' +
      'of the file (billing_periods in the report) whose ChargePeriodStart falls between the first ' +
      'and the last UTC charge day of the file (charge_period), in one statement: a re-import ' +
      'leaves one copy, a failed import leaves the previous data, and a correction charged in an ' +
      'earlier month replaces nothing of that month. Small files are imported before the answer (200 with the report; 422 when ' +
      'rows are invalid, with their row numbers); files over COST_IMPORT_SYNC_MAX_BYTES (8 MiB) once ' +
      'decompressed or decoded, or ' +
      'with `Prefer: respond-async`, answer 202 and continue in the background: poll the Location.',
  })
  @ApiConsumes(...IMPORT_MEDIA_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'Prefer', required: false, description: '`respond-async` to get 202 at once' })
  @ApiOkResponse({ type: ImportReportDto, description: 'Imported (synchronously)' })
  @ApiAcceptedResponse({
    type: ImportReportDto,
    description: 'Accepted; poll status_url (also in Location)',
    headers: headerRefs('Location'),
  })
  @ApiNotFoundResponse({
    description:
      'COST_IMPORT_ORG_NOT_PROVISIONED: no organization has this slug, or it has no cost table (onboard it first)',
  })
  @ApiConflictResponse({
    description:
      "COST_IMPORT_PENDING: another file of the organization is being received or waits for its import's turn on this instance",
  })
  @ApiForbiddenResponse({
    description:
      'COST_IMPORT_KEY_REVOKED: the org key that started the import was revoked, expired or lost org:write before its rows were written; nothing was changed',
  })
  @ApiPayloadTooLargeResponse({
    description: 'COST_IMPORT_FILE_TOO_LARGE: the file is over COST_IMPORT_MAX_BYTES (1 GiB by default)',
  })
  @ApiUnsupportedMediaTypeResponse({
    description:
      'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE: the Content-Type is none of those listed, a CSV charset is not UTF-8, or the content is not of the declared type',
  })
  @ApiUnprocessableEntityResponse({
    description:
      'COST_IMPORT_FILE_UNREADABLE, COST_IMPORT_EMPTY_FILE, COST_IMPORT_MISSING_COLUMNS, COST_IMPORT_DUPLICATE_COLUMNS, COST_IMPORT_TOO_MANY_PARTS: the file; COST_IMPORT_ROWS_INVALID: rows of it (their row numbers in the report); or VALIDATION_FAILED: a query field',
  })
  @ApiServiceUnavailableResponse({
    description:
      'COST_IMPORT_UPLOADS_BUSY: COST_IMPORT_MAX_CONCURRENT_UPLOADS files are being received or imported on this instance (Retry-After)',
  })
  @ApiResponse({
    status: 408,
    description:
      'COST_IMPORT_UPLOAD_TIMEOUT: the file did not arrive within COST_IMPORT_RECEIVE_TIMEOUT_MS (10 minutes by default); nothing of it is kept',
  })
  async upload(
    @Param() { org }: OrgParamDto,
    @Query() query: ImportQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportReportDto> {
    if (!isStream(request.body))
      throw new CostImportError(
        CostImportErrorCode.UnsupportedMediaType,
        'Send the file itself as the body, as text/csv, application/vnd.apache.parquet or application/gzip.',
      );
    const length = Number(request.headers['content-length']);
    const started = await this.imports.start({
      org,
      body: request.body,
      mediaType: mediaType(request.headers['content-type']),
      declaredLength: Number.isFinite(length) ? length : undefined,
      sourceSystem: query.source_system,
      credentialId: query.credential_id ?? DEFAULT_CREDENTIAL_ID,
      credentialNamed: query.credential_id !== undefined,
      onError: query.on_error,
      preferAsync: prefersAsync(request),
      startedByKey: request.auth?.kind === 'org' ? (request.orgKeyHash?.hash ?? null) : null,
    });
    const { job } = started;
    if (started.background) {
      reply.status(202).header('Location', importStatusUrl(org, job.id));
      return ImportReportDto.from(job);
    }
    if (job.status === 'failed') throw failureOf(job);
    return ImportReportDto.from(job);
  }

  @Get(':id')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'Progress, counts and row errors (the first 100) of a cost import' })
  @ApiOkResponse({ type: ImportReportDto })
  @ApiNotFoundResponse({
    description:
      'COST_IMPORT_NOT_FOUND: no import of this org has this id, or its report is past its 30 days',
  })
  async report(@Param() { org, id }: ImportIdParamDto): Promise<ImportReportDto> {
    return ImportReportDto.from(await this.imports.find(org, id));
  }
}
