import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { OrgParamDto, RootKeyAuth } from '#platform';
import { Actor, type AuditActor } from '../audit/audit-actor.js';
import { bodyOrgSlug, Idempotent } from '../idempotency/idempotent.decorator.js';
import { DryrunService } from './dryrun.service.js';
import { OffboardRequestDto, OffboardResponseDto } from './dto/offboarding.dto.js';
import {
  DryrunRequestDto,
  DryrunResponseDto,
  OnboardOrgRequestDto,
  OnboardOrgResponseDto,
} from './dto/onboarding.dto.js';
import { OffboardingService } from './offboarding.service.js';
import { OnboardingService } from './onboarding.service.js';
import { DATASET_CONFLICT, QUIESCED_CONFLICTS } from './organizations.errors.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';

@ApiTags('organizations')
@RootKeyAuth()
@Controller('api/v1/organizations')
export class OnboardingController {
  constructor(
    private readonly dryruns: DryrunService,
    private readonly onboarding: OnboardingService,
    private readonly offboarding: OffboardingService,
  ) {}

  @Post('dryrun')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check everything onboarding needs, creating nothing' })
  @ApiOkResponse({ type: DryrunResponseDto })
  dryrun(@Body() body: DryrunRequestDto): Promise<DryrunResponseDto> {
    return this.dryruns.run(body);
  }

  @Post('onboard')
  @HttpCode(200)
  @Idempotent(
    { orgSlugFrom: bodyOrgSlug },
    'ORG_EXISTS: the organization exists and regenerate_api_key_if_exists is not true; ' +
      `${DATASET_CONFLICT} (adopt_existing_dataset=true takes it over); ${QUIESCED_CONFLICTS}`,
  )
  @ApiOperation({
    summary: 'Onboard an organization (profile, API key, tenancy limits, dataset, hierarchy); all or nothing',
  })
  @ApiOkResponse({ type: OnboardOrgResponseDto })
  @ApiBadRequestResponse({
    description:
      'ORG_NOT_ACTIVE: a re-sync (regenerate_api_key_if_exists) of an organization that is not ACTIVE',
  })
  onboard(@Body() body: OnboardOrgRequestDto, @Actor() actor: AuditActor): Promise<OnboardOrgResponseDto> {
    return this.onboarding.onboard(body, actor);
  }

  @Delete(':org')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Offboard an organization: delete all its rows, keys and (optionally) its dataset',
  })
  @ApiOkResponse({ type: OffboardResponseDto })
  @ApiOrgNotFound()
  @ApiBadRequestResponse({
    description: 'CONFIRM_ORG_SLUG_MISMATCH: confirm_org_slug is not the {org} of the path',
  })
  @ApiConflictResponse({ description: QUIESCED_CONFLICTS })
  offboard(
    @Param() { org }: OrgParamDto,
    @Body() body: OffboardRequestDto,
    @Actor() actor: AuditActor,
  ): Promise<OffboardResponseDto> {
    return this.offboarding.offboard(org, body, actor);
  }
}
