import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgParamDto, RootKeyAuth } from '#platform';
import { RepairTablesResponseDto } from './dto/org-dataset.dto.js';
import { OrgDirectoryService } from './org-directory.service.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';
import { LIFECYCLE_CONFLICT } from './organizations.errors.js';

/** Kept at the path clients already call, which has no /organizations segment. */
@ApiTags('organizations')
@RootKeyAuth()
@Controller('api/v1')
export class OrgRepairController {
  constructor(private readonly directory: OrgDirectoryService) {}

  @Post(':org/repair-tables')
  @HttpCode(200)
  @ApiOperation({ summary: "Create whichever of the org's dataset tables are missing" })
  @ApiOkResponse({ type: RepairTablesResponseDto })
  @ApiOrgNotFound()
  @ApiConflictResponse({ description: LIFECYCLE_CONFLICT })
  repair(@Param() { org }: OrgParamDto): Promise<RepairTablesResponseDto> {
    return this.directory.repair(org);
  }
}
