import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiUserHeader, OrgKeyOrRootAuth, OrgParamDto } from '#platform';
import { Actor, type AuditActor } from '../audit/audit-actor.js';
import { ApiKeyOperations } from './api-key-operations.service.js';
import { KEY_CHANGE_CONFLICTS, ORG_NOT_ACTIVE_FOR_KEYS } from './api-keys.errors.js';
import { ApiKeyInfoDto, RotateApiKeyRequestDto, RotateApiKeyResponseDto } from './dto/api-key.dto.js';

@ApiTags('organizations')
@Controller('api/v1/organizations/:org/api-key')
export class OrgApiKeyController {
  constructor(private readonly keys: ApiKeyOperations) {}

  @Post('rotate')
  @HttpCode(200)
  @OrgKeyOrRootAuth('org:write')
  @ApiUserHeader()
  @ApiOkResponse({ type: RotateApiKeyResponseDto })
  @ApiBadRequestResponse({ description: ORG_NOT_ACTIVE_FOR_KEYS })
  @ApiNotFoundResponse({ description: 'ORG_NOT_FOUND' })
  @ApiForbiddenResponse({ description: 'API_KEY_RETIRING: the calling key is in a rotation grace period' })
  @ApiConflictResponse({ description: KEY_CHANGE_CONFLICTS })
  async rotate(
    @Param() { org }: OrgParamDto,
    @Body() body: RotateApiKeyRequestDto,
    @Actor() actor: AuditActor,
    @Req() req: FastifyRequest,
  ): Promise<RotateApiKeyResponseDto> {
    // A key being retired (a grace period running) is refused by the rotation itself, so that the
    // attempt is recorded as a failed rotation (the reference's FAILURE entry) like any other.
    const callerKeyId = req.auth?.kind === 'org' ? req.auth.principal.apiKeyId : null;
    const rotated = await this.keys.rotate(org, body.grace_period_seconds, actor, callerKeyId);
    const expireAt = rotated.previousKeysExpireAt?.toISOString() ?? null;
    return {
      org_slug: org,
      api_key: rotated.apiKey,
      api_key_fingerprint: rotated.fingerprint,
      previous_key_revoked: rotated.previousKeysRetired === true && expireAt === null,
      previous_keys_expire_at: expireAt,
      message: `${rotationOutcome(rotated.previousKeysRetired, expireAt)} Store the new key now: it is not shown again.`,
    };
  }

  @Get()
  @OrgKeyOrRootAuth('org:read')
  @ApiOkResponse({ type: ApiKeyInfoDto })
  @ApiNotFoundResponse({ description: 'API_KEY_NOT_FOUND' })
  async info(@Param() { org }: OrgParamDto, @Req() req: FastifyRequest): Promise<ApiKeyInfoDto> {
    const key = await this.keys.info(org);
    // The newest key is shown; a caller whose own key is being retired learns when that one stops.
    const callerExpiresAt = req.auth?.kind === 'org' ? req.auth.principal.expiresAt : null;
    return {
      org_slug: org,
      api_key_fingerprint: key.fingerprint,
      is_active: true,
      created_at: key.createdAt.toISOString(),
      scopes: key.scopes,
      expires_at: key.expiresAt?.toISOString() ?? null,
      caller_key_expires_at: callerExpiresAt?.toISOString() ?? null,
    };
  }
}

function rotationOutcome(retired: boolean | 'unknown', expireAt: string | null): string {
  if (retired === 'unknown')
    return (
      'API key issued, but whether the previous key still works could not be confirmed; rotate ' +
      'again with the new key to retire it.'
    );
  if (!retired) return 'API key issued; the organization had no active key to retire.';
  return expireAt
    ? `API key rotated. The previous key keeps working until ${expireAt}.`
    : 'API key rotated. The previous key no longer works.';
}
