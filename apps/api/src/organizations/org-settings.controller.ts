import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUserHeader, OrgKeyOrRootAuth, OrgParamDto, RootKeyAuth } from '#platform';
import { Actor, type AuditActor } from '../audit/audit-actor.js';
import { LocaleDto, UpdateLocaleRequestDto } from './dto/locale.dto.js';
import {
  SubscriptionDto,
  SubscriptionUpdateDto,
  UpdateSubscriptionRequestDto,
} from './dto/subscription.dto.js';
import { LocaleService } from './locale.service.js';
import { SubscriptionService } from './subscription.service.js';
import { ApiOrgNotFound } from '../openapi/org-not-found.js';
import { CONFIG_WRITE_CONFLICT } from './organizations.errors.js';

/** Per-route auth: the org's own key may read and change its locale and read its plan. */
@ApiTags('organizations')
@Controller('api/v1/organizations/:org')
export class OrgSettingsController {
  constructor(
    private readonly locales: LocaleService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  @Get('locale')
  @OrgKeyOrRootAuth('org:read')
  @ApiOkResponse({ type: LocaleDto })
  @ApiOrgNotFound()
  locale(@Param() { org }: OrgParamDto): Promise<LocaleDto> {
    return this.locales.get(org);
  }

  @Put('locale')
  @OrgKeyOrRootAuth('org:write')
  @ApiUserHeader()
  @ApiOperation({
    summary:
      'Change the default currency, time zone and/or fiscal-year start month, at least one (country follows the currency)',
  })
  @ApiOkResponse({ type: LocaleDto })
  @ApiOrgNotFound()
  @ApiConflictResponse({ description: CONFIG_WRITE_CONFLICT })
  updateLocale(
    @Param() { org }: OrgParamDto,
    @Body() body: UpdateLocaleRequestDto,
    @Actor() actor: AuditActor,
  ): Promise<LocaleDto> {
    return this.locales.update(org, body, actor);
  }

  @Get('subscription')
  @OrgKeyOrRootAuth('org:read')
  @ApiOperation({ summary: 'The plan and the limits quotas enforce' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiOrgNotFound()
  subscription(@Param() { org }: OrgParamDto): Promise<SubscriptionDto> {
    return this.subscriptions.get(org);
  }

  @Put('subscription')
  @RootKeyAuth()
  @ApiOperation({
    summary: 'Set the plan and limits (Stripe webhook); missing limits take the plan defaults',
  })
  @ApiOkResponse({ type: SubscriptionUpdateDto })
  @ApiOrgNotFound()
  @ApiConflictResponse({ description: CONFIG_WRITE_CONFLICT })
  updateSubscription(
    @Param() { org }: OrgParamDto,
    @Body() body: UpdateSubscriptionRequestDto,
    @Actor() actor: AuditActor,
  ): Promise<SubscriptionUpdateDto> {
    return this.subscriptions.update(org, body, actor);
  }
}
