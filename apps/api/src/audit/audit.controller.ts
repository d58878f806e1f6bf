import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrgParamDto, RootKeyAuth } from '#platform';
import { AuditService } from './audit.service.js';
import { AuditLogDto, AuditLogListDto, AuditLogQueryDto } from './dto/audit-log.dto.js';

@ApiTags('admin')
@RootKeyAuth()
@Controller('api/v1/admin/audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get(':org')
  @ApiOkResponse({ type: AuditLogListDto })
  async list(@Param() { org }: OrgParamDto, @Query() q: AuditLogQueryDto): Promise<AuditLogListDto> {
    const page = await this.audit.query(
      org,
      {
        action: q.action,
        resourceType: q.resource_type,
        status: q.status,
        startDate: q.start_date,
        endDate: q.end_date,
      },
      q.limit,
      q.offset,
    );
    return {
      org_slug: org,
      total_count: page.total,
      logs: page.records.map((r) => AuditLogDto.from(r)),
      has_more: q.offset + page.records.length < page.total,
    };
  }
}
