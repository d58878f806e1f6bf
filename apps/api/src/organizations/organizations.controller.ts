import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { OrgParamDto, RootKeyAuth } from '#platform';
import { MemberEmailsDto, MemberEmailsQueryDto } from './dto/members.dto.js';
import { OrgStatusDto, OrgSyncRequestDto, OrgSyncResponseDto } from './dto/org-dataset.dto.js';
import { OrgListQueryDto, OrgListResponseDto } from './dto/org-list.dto.js';
import { OrgDirectoryService } from './org-directory.service.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';
import { LIFECYCLE_CONFLICT } from './organizations.errors.js';

@ApiTags('organizations')
@RootKeyAuth()
@Controller('api/v1/organizations')
export class OrganizationsController {
  constructor(private readonly directory: OrgDirectoryService) {}

  @Get()
  @ApiOperation({ summary: 'List organizations, newest first' })
  @ApiOkResponse({ type: OrgListResponseDto })
  list(@Query() query: OrgListQueryDto): Promise<OrgListResponseDto> {
    return this.directory.list(query);
  }

  @Get(':org/status')
  @ApiOperation({ summary: "Compare the org's dataset with the schema registry" })
  @ApiOkResponse({ type: OrgStatusDto })
  status(@Param() { org }: OrgParamDto): Promise<OrgStatusDto> {
    return this.directory.status(org);
  }

  @Post(':org/sync')
  @HttpCode(200)
  @ApiOperation({
    summary: "Create the org's missing dataset, tables (partitioned, clustered), columns and views",
  })
  @ApiOkResponse({ type: OrgSyncResponseDto })
  @ApiOrgNotFound()
  @ApiBadRequestResponse({ description: 'ORG_NOT_ACTIVE: the organization is not ACTIVE' })
  @ApiConflictResponse({ description: LIFECYCLE_CONFLICT })
  sync(@Param() { org }: OrgParamDto, @Body() body: OrgSyncRequestDto): Promise<OrgSyncResponseDto> {
    return this.directory.sync(org, body);
  }

  @Get(':org/members/emails')
  @ApiOperation({ summary: 'Emails of the active members of the org (alert recipients)' })
  @ApiOkResponse({ type: MemberEmailsDto })
  @ApiOrgNotFound()
  memberEmails(
    @Param() { org }: OrgParamDto,
    @Query() query: MemberEmailsQueryDto,
  ): Promise<MemberEmailsDto> {
    return this.directory.memberEmails(org, query.role);
  }
}
