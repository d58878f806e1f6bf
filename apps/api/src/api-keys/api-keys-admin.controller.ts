import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiUserHeader, hashApiKey, OrgParamDto, RootKeyAuth } from '#platform';
import { Actor, type AuditActor } from '../audit/audit-actor.js';
import { ApiKeyOperations } from './api-key-operations.service.js';
import type { IssuedKey } from './api-key.service.js';
import { KEY_CHANGE_CONFLICTS, ORG_NOT_ACTIVE_FOR_KEYS } from './api-keys.errors.js';
import {
  ApiKeyResponseDto,
  CreateApiKeyRequestDto,
  DevApiKeyResponseDto,
  KeyHashParamDto,
  RevokeApiKeyResponseDto,
} from './dto/api-key.dto.js';

function keyResponse(org: string, key: IssuedKey, description: string | null): ApiKeyResponseDto {
  return {
    api_key: key.apiKey,
    org_api_key_hash: hashApiKey(key.apiKey),
    org_slug: org,
    created_at: key.createdAt.toISOString(),
    description,
    scopes: key.scopes,
  };
}

@ApiTags('admin')
@RootKeyAuth()
@ApiUserHeader()
@Controller('api/v1/admin')
export class AdminApiKeyController {
  constructor(private readonly keys: ApiKeyOperations) {}

  @Post('api-keys')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiBadRequestResponse({ description: ORG_NOT_ACTIVE_FOR_KEYS })
  @ApiNotFoundResponse({ description: 'ORG_NOT_FOUND' })
  @ApiConflictResponse({ description: `API_KEY_EXISTS; ${KEY_CHANGE_CONFLICTS}` })
  async create(@Body() body: CreateApiKeyRequestDto, @Actor() actor: AuditActor): Promise<ApiKeyResponseDto> {
    const opts = { scopes: body.scopes, description: body.description };
    const issued = await this.keys.create(body.org_slug, opts, actor);
    return keyResponse(body.org_slug, issued, body.description ?? null);
  }

  @Delete('api-keys/:hash')
  @ApiOkResponse({ type: RevokeApiKeyResponseDto })
  @ApiNotFoundResponse({ description: 'API_KEY_NOT_FOUND' })
  @ApiConflictResponse({ description: KEY_CHANGE_CONFLICTS })
  async revoke(
    @Param() { hash }: KeyHashParamDto,
    @Actor() actor: AuditActor,
  ): Promise<RevokeApiKeyResponseDto> {
    await this.keys.revoke(hash, actor);
    return { org_api_key_hash: hash, message: 'API key revoked successfully' };
  }

  @Post('organizations/:org/regenerate-api-key')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiBadRequestResponse({ description: ORG_NOT_ACTIVE_FOR_KEYS })
  @ApiNotFoundResponse({ description: 'ORG_NOT_FOUND' })
  @ApiConflictResponse({ description: KEY_CHANGE_CONFLICTS })
  async regenerate(@Param() { org }: OrgParamDto, @Actor() actor: AuditActor): Promise<ApiKeyResponseDto> {
    const issued = await this.keys.regenerate(org, actor);
    return keyResponse(org, issued, 'Regenerated API key');
  }

  @Get('dev/api-key/:org')
  @ApiOkResponse({ type: DevApiKeyResponseDto })
  @ApiForbiddenResponse({ description: 'DEV_ONLY outside development' })
  @ApiNotFoundResponse({ description: 'API_KEY_NOT_FOUND' })
  async reveal(@Param() { org }: OrgParamDto, @Actor() actor: AuditActor): Promise<DevApiKeyResponseDto> {
    return {
      org_slug: org,
      api_key: await this.keys.revealForDev(org, actor),
      message: 'DEV ONLY - This endpoint is disabled in production',
    };
  }
}
