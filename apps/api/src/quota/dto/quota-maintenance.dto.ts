import { ApiProperty } from '@nestjs/swagger';
import type { PeriodResetOutcome, StaleCleanupOutcome } from '../quota-maintenance.service.js';

class PeriodRowDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: "Whether this call created the org's row for the day" }) created: boolean;
}

/** The scheduler's response shape (QuotaResetResponse of the system this one replaces), with details. */
export class QuotaResetResponseDto {
  @ApiProperty() success: boolean;
  @ApiProperty() orgs_processed: number;
  @ApiProperty() orgs_created: number;
  @ApiProperty() orgs_skipped: number;
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date' }) usage_date: string;
  @ApiProperty({ type: [PeriodRowDto] }) details: PeriodRowDto[];

  static from(o: PeriodResetOutcome): QuotaResetResponseDto {
    return {
      success: o.success,
      orgs_processed: o.orgsProcessed,
      orgs_created: o.orgsCreated,
      orgs_skipped: o.orgsSkipped,
      message: o.message,
      usage_date: o.usageDate,
      details: o.details.map((d) => ({ org_slug: d.orgSlug, created: d.created })),
    };
  }
}

class StaleOrgDto {
  @ApiProperty() org_slug: string;
  @ApiProperty() reservations_expired: number;
  @ApiProperty({ description: 'Open run rows in org_meta_pipeline_runs marked FAILED' })
  runs_marked_failed: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
}

export class StaleCleanupResponseDto {
  @ApiProperty({ description: 'false when some run rows could not be marked (retried at the next call)' })
  success: boolean;
  @ApiProperty({ description: 'Orgs with expired reservations' }) orgs_processed: number;
  @ApiProperty({ description: 'Orgs whose expired runs were recorded' }) orgs_created: number;
  @ApiProperty({ description: 'Orgs whose run log could not be updated' }) orgs_skipped: number;
  @ApiProperty() message: string;
  @ApiProperty() reservations_expired: number;
  @ApiProperty() runs_marked_failed: number;
  @ApiProperty({
    description:
      'Of runs_marked_failed, open runs no reservation named (a client that does not send its run id), failed after an hour ' +
      '(after twice QUOTA_RESERVATION_TTL_SECONDS when that is longer: a reservation may hold the run that long)',
  })
  runs_marked_failed_by_age: number;
  @ApiProperty({ description: 'Finished reservations past retention, forgotten' })
  reservations_pruned: number;
  @ApiProperty({ type: [StaleOrgDto] }) details: StaleOrgDto[];

  static from(o: StaleCleanupOutcome): StaleCleanupResponseDto {
    return {
      success: o.success,
      orgs_processed: o.orgsProcessed,
      orgs_created: o.orgsFixed,
      orgs_skipped: o.orgsProcessed - o.orgsFixed,
      message: o.message,
      reservations_expired: o.reservationsExpired,
      runs_marked_failed: o.runsMarkedFailed,
      runs_marked_failed_by_age: o.agedRunsMarkedFailed,
      reservations_pruned: o.reservationsPruned,
      details: o.details.map((d) => ({
        org_slug: d.orgSlug,
        reservations_expired: d.reservationsExpired,
        runs_marked_failed: d.runsMarkedFailed,
        error: d.error,
      })),
    };
  }
}
