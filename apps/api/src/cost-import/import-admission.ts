import { Inject, Injectable } from '@nestjs/common';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { COST_IMPORT_OPTIONS, type CostImportOptions } from './cost-import.options.js';
import { importStatusUrl } from './dto/cost-import.dto.js';

/** What a caller refused for the instance's cap is told to wait: the files held end with their imports. */
export const UPLOADS_BUSY_RETRY_SECONDS = 15;

/**
 * An admitted upload's claims: one of the instance's slots while its files are on disk (received,
 * expanded, waiting for its turn and importing), and its org's pending place until its import's
 * turn comes. Each is given back once; `release` gives back whatever is still held (the upload was
 * refused, or its import ended).
 */
export class UploadTicket {
  /** Its report exists: the refusal of the org's next upload can link to it. */
  queued = false;
  private slotHeld = true;
  private pendingHeld = true;

  constructor(
    readonly org: string,
    readonly importId: string,
    private readonly admission: UploadAdmission,
  ) {}

  /** Received, checked and recorded: its report exists. Its files, and its slot, stay until it ends. */
  recorded(): void {
    this.queued = true;
  }

  /** Its import's turn came: the org may send its next file, which waits behind this one. */
  started(): void {
    if (!this.pendingHeld) return;
    this.pendingHeld = false;
    this.admission.freePending(this);
  }

  release(): void {
    this.started();
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.admission.freeSlot();
  }
}

/**
 * Bounds what uploads hold on this instance's disk (on Cloud Run, its memory) before their import
 * runs. An upload is written to disk and expanded (gunzip, Parquet parts merged) before it can wait
 * for its org's turn (ImportRegistry.exclusive), and it keeps its files while it waits: without a
 * bound, four parallel uploads of 713 KB each held 2.8 GB at once. So each org has at most one
 * upload being received or waiting for its turn here (a second is refused with 409: it could only
 * queue behind the first), and at most `maxConcurrentUploads` hold files at once, from the first
 * byte received to the import's end (503 with Retry-After beyond): imports of different orgs run
 * side by side, so a slot freed once a file was received let six orgs' files of up to
 * COST_IMPORT_MAX_EXPANDED_BYTES each sit on disk at once. Both are checked before a byte of the
 * body is read.
 */
@Injectable()
export class UploadAdmission {
  private inFlight = 0;
  private readonly pending = new Map<string, UploadTicket>();

  constructor(@Inject(COST_IMPORT_OPTIONS) private readonly options: CostImportOptions) {}

  /** Claims a slot and the org's pending place for the upload of import `importId`, or refuses it. */
  admit(org: string, importId: string): UploadTicket {
    const earlier = this.pending.get(org);
    if (earlier) throw inProgress(earlier);
    if (this.inFlight >= this.options.maxConcurrentUploads) throw busy(this.options.maxConcurrentUploads);
    const ticket = new UploadTicket(org, importId, this);
    this.inFlight++;
    this.pending.set(org, ticket);
    return ticket;
  }

  /** @internal UploadTicket gives its slot back through this. */
  freeSlot(): void {
    this.inFlight--;
  }

  /** @internal UploadTicket gives its org's pending place back through this. */
  freePending(ticket: UploadTicket): void {
    if (this.pending.get(ticket.org) === ticket) this.pending.delete(ticket.org);
  }
}

function inProgress(earlier: UploadTicket): CostImportError {
  const where = earlier.queued
    ? 'is waiting for its turn behind a running import'
    : 'is being received and checked';
  return new CostImportError(
    CostImportErrorCode.ImportPending,
    `Another file for organization '${earlier.org}' ${where} (import ${earlier.importId}); an org's ` +
      'imports run one after the other, and one file at a time may wait. Send this one once that ' +
      'import is processing or has finished.',
    {
      // The rest of the body is not wanted: the connection closes after the answer.
      headers: { Connection: 'close' },
      extra: {
        import_id: earlier.importId,
        ...(earlier.queued ? { status_url: importStatusUrl(earlier.org, earlier.importId) } : {}),
      },
    },
  );
}

function busy(max: number): CostImportError {
  return new CostImportError(
    CostImportErrorCode.UploadsBusy,
    `This instance holds ${max} cost files already, received or being imported (COST_IMPORT_MAX_CONCURRENT_UPLOADS); ` +
      `send the file again in ${UPLOADS_BUSY_RETRY_SECONDS} s.`,
    {
      headers: { 'Retry-After': String(UPLOADS_BUSY_RETRY_SECONDS), Connection: 'close' },
      extra: { retry_after_seconds: UPLOADS_BUSY_RETRY_SECONDS },
      publicDetail: true,
    },
  );
}
