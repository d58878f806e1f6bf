import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgKeyOrRootAuth, OrgParamDto } from '#platform';
import { QuotaUsageDto } from './dto/quota-usage.dto.js';
import { QuotaService } from './quota.service.js';

@ApiTags('quota')
@Controller('api/v1/organizations/:org/quota')
export class QuotaController {
  constructor(private readonly quota: QuotaService) {}

  @Get()
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: "The org's pipeline limits, today's and this month's usage, and live runs" })
  @ApiOkResponse({ type: QuotaUsageDto })
  @ApiNotFoundResponse({ description: 'ORG_NOT_FOUND: the org has no subscription record' })
  async usage(@Param() { org }: OrgParamDto): Promise<QuotaUsageDto> {
    return QuotaUsageDto.from(await this.quota.usage(org));
  }
}
