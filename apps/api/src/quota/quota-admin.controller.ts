import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RootKeyAuth } from '#platform';
import { QuotaResetResponseDto, StaleCleanupResponseDto } from './dto/quota-maintenance.dto.js';
import { QuotaMaintenanceService } from './quota-maintenance.service.js';

/**
 * The scheduler's quota jobs. Served at both prefixes: the jobs call /api/v1/quota/*, the pipeline
 * service's proxies /api/v1/admin/quota/*.
 */
@ApiTags('quota')
@RootKeyAuth()
@Controller(['api/v1/quota', 'api/v1/admin/quota'])
export class QuotaAdminController {
  constructor(private readonly maintenance: QuotaMaintenanceService) {}

  @Post('reset-daily')
  @HttpCode(200)
  @ApiOperation({ summary: "Create today's (UTC) usage row of every org; idempotent" })
  @ApiOkResponse({ type: QuotaResetResponseDto })
  async resetDaily(): Promise<QuotaResetResponseDto> {
    return QuotaResetResponseDto.from(await this.maintenance.resetDaily());
  }

  @Post('reset-monthly')
  @HttpCode(200)
  @ApiOperation({
    summary: "On the 1st (UTC): start the month's usage rows; monthly usage is derived, nothing is zeroed",
  })
  @ApiOkResponse({ type: QuotaResetResponseDto })
  async resetMonthly(): Promise<QuotaResetResponseDto> {
    return QuotaResetResponseDto.from(await this.maintenance.resetMonthly());
  }

  @Post('cleanup-stale')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Record expired reservations (they stopped counting at expiry) and mark their open runs FAILED in the run log',
  })
  @ApiOkResponse({ type: StaleCleanupResponseDto })
  async cleanupStale(): Promise<StaleCleanupResponseDto> {
    return StaleCleanupResponseDto.from(await this.maintenance.cleanupStale());
  }
}
