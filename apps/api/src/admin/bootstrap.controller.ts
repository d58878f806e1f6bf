import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RootKeyAuth } from '#platform';
import { BootstrapService } from './bootstrap.service.js';
import {
  BootstrapRequestDto,
  BootstrapResponseDto,
  BootstrapStatusDto,
  BootstrapStatusQueryDto,
  BootstrapSyncRequestDto,
  BootstrapSyncResponseDto,
} from './dto/bootstrap.dto.js';

@ApiTags('admin')
@RootKeyAuth()
@Controller('api/v1/admin/bootstrap')
export class BootstrapController {
  constructor(private readonly bootstrap: BootstrapService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: BootstrapResponseDto })
  @ApiConflictResponse({
    description:
      'ALREADY_BOOTSTRAPPED: the central dataset exists and neither force flag is set (POST /api/v1/admin/bootstrap/sync adds what is missing)',
  })
  run(@Body() body: BootstrapRequestDto): Promise<BootstrapResponseDto> {
    return this.bootstrap.bootstrap(body);
  }

  @Get('status')
  @ApiOkResponse({ type: BootstrapStatusDto })
  status(@Query() query: BootstrapStatusQueryDto): Promise<BootstrapStatusDto> {
    return this.bootstrap.status(query.force_refresh);
  }

  @Post('sync')
  @HttpCode(200)
  @ApiOkResponse({ type: BootstrapSyncResponseDto })
  sync(@Body() body: BootstrapSyncRequestDto): Promise<BootstrapSyncResponseDto> {
    return this.bootstrap.sync(body);
  }
}
