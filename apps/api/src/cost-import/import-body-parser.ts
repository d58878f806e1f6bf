import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { CONTENT_ENCODINGS, nonUtf8Charset } from '#platform';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { COST_IMPORT_OPTIONS, type CostImportOptions } from './cost-import.options.js';
import { CSV_TYPES, IMPORT_MEDIA_TYPES, mediaType } from './import-upload.js';

/** `@RouteConfig` flag of the upload route: the parser and checks below apply to it alone. */
export const IMPORT_ROUTE_CONFIG = {
  costImport: true,
  // A gzip body is identified by its content (import-upload.ts), whatever says it is gzip.
  [CONTENT_ENCODINGS]: ['gzip', 'x-gzip'],
} as const;

function isImportRoute(request: FastifyRequest): boolean {
  const config = request.routeOptions?.config as { costImport?: boolean } | undefined;
  return config?.costImport === true;
}

/**
 * Lets the upload route receive files as raw bodies (no multipart plugin is installed). The body
 * reaches the handler as an unread stream, so the guards run before a byte is read and the file
 * goes to disk, never into memory. Other routes keep refusing these media types with 415.
 * Size and type are checked when the request arrives, before the body is read.
 */
@Injectable()
export class ImportBodyParser implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(COST_IMPORT_OPTIONS) private readonly options: CostImportOptions,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser([...IMPORT_MEDIA_TYPES], (request, payload, done) => {
      if (isImportRoute(request)) done(null, payload);
      else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    });
    // Runs on every request of the app: synchronous, and the route's options (an object built on
    // each read) are looked at only for a POST, the upload's method.
    fastify.addHook('onRequest', (request, _reply, done) => {
      if (request.method !== 'POST' || !isImportRoute(request)) {
        done();
        return;
      }
      try {
        this.checkArrival(request);
        done();
      } catch (err) {
        done(err as Error);
      }
    });
  }

  private checkArrival(request: FastifyRequest): void {
    const type = mediaType(request.headers['content-type']);
    if (!IMPORT_MEDIA_TYPES.includes(type))
      throw new CostImportError(
        CostImportErrorCode.UnsupportedMediaType,
        `Content-Type ${type || '(none)'} is not accepted; send the file as text/csv, ` +
          'application/vnd.apache.parquet or application/gzip.',
      );
    // A CSV is read as UTF-8: text in another encoding would be imported as garbage.
    const charset = (CSV_TYPES as readonly string[]).includes(type)
      ? nonUtf8Charset(request.headers['content-type'])
      : null;
    if (charset !== null)
      throw new CostImportError(
        CostImportErrorCode.UnsupportedMediaType,
        `A CSV file is read as UTF-8; charset=${charset.slice(0, 40)} is not accepted: convert it to UTF-8.`,
      );
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > this.options.maxBytes)
      throw new CostImportError(
        CostImportErrorCode.FileTooLarge,
        `The file (${length} bytes) exceeds the import limit of ${this.options.maxBytes} bytes.`,
        { headers: { Connection: 'close' } },
      );
  }
}
