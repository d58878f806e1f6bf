import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgParamDto, RootKeyAuth } from '#platform';
import { Actor, type AuditActor } from '../audit/audit-actor.js';
import { AdminOrgService } from './admin-org.service.js';
import { CreateOrgRequestDto, OrgAdminSummaryDto } from './dto/admin-org.dto.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';
import { DATASET_CONFLICT, LIFECYCLE_CONFLICT } from './organizations.errors.js';

@ApiTags('admin')
@RootKeyAuth()
@Controller('api/v1/admin/organizations')
export class AdminOrganizationsController {
  constructor(private readonly admin: AdminOrgService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Legacy create: profile, tenancy row and dataset, without an API key' })
  @ApiOkResponse({ type: OrgAdminSummaryDto })
  @ApiConflictResponse({
    description: `ORG_EXISTS: an organization already has this slug; ${DATASET_CONFLICT}; ${LIFECYCLE_CONFLICT}`,
  })
  create(@Body() body: CreateOrgRequestDto, @Actor() actor: AuditActor): Promise<OrgAdminSummaryDto> {
    return this.admin.create(body, actor);
  }

  @Get(':org')
  @ApiOperation({ summary: 'Counts of one organization: datasets, API keys, pipeline runs' })
  @ApiOkResponse({ type: OrgAdminSummaryDto })
  @ApiOrgNotFound()
  summary(@Param() { org }: OrgParamDto): Promise<OrgAdminSummaryDto> {
    return this.admin.summary(org);
  }
}
