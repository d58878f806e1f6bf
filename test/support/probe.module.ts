import { Body, Controller, Get, Module, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Length, Matches, Min, ValidateNested } from 'class-validator';
import {
  type AuthContext,
  CurrentAuth,
  OrgKeyAuth,
  OrgKeyOrRootAuth,
  PlatformError,
  PlatformErrorCode,
  Public,
  RootKeyAuth,
} from '#platform';

export const PROBE_SECRET_IN_ERROR = 'probe-secret-value-9f8e7d6c5b4a';

class ProbeAddress {
  @IsString() @Length(2, 40) city: string;
}

class ProbeBody {
  @IsString() @Length(3, 50) name: string;
  @IsInt() @Min(1) count: number;
  @IsEmail() email: string;
  /** Two rules about one string's content: a bad code can fail both. */
  @IsOptional() @Matches(/^[a-z]+$/) @Length(3, 10) code?: string;
  @ValidateNested() @Type(() => ProbeAddress) address: ProbeAddress;
}

/** Test-only routes that exercise the platform (guards, validation, error mapping) on the real app. */
@Controller('api/v1/probe')
class ProbeController {
  @OrgKeyAuth('pipelines:execute')
  @Get('org/:org')
  org(@Param('org') org: string, @CurrentAuth() auth: AuthContext) {
    return { org, auth: auth.kind };
  }

  @OrgKeyOrRootAuth()
  @Get('any/:org')
  any(@Param('org') org: string, @CurrentAuth() auth: AuthContext) {
    return { org, auth: auth.kind };
  }

  @RootKeyAuth()
  @Get('admin')
  admin() {
    return { ok: true };
  }

  @Public()
  @Post('echo')
  echo(@Body() body: ProbeBody) {
    return body;
  }

  @Public()
  @Get('slow')
  async slow(@Query('ms', ParseIntPipe) ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { slept_ms: ms };
  }

  /** A 5xx the server gives by design (as while shutting down), not a failure. */
  @Public()
  @Get('unavailable')
  unavailable(): never {
    throw new PlatformError(PlatformErrorCode.ServiceUnavailable, 'Paused on purpose; retry later.');
  }

  @Public()
  @Get('boom')
  boom(): never {
    throw new Error(`connect to postgres://svc:${PROBE_SECRET_IN_ERROR}@db.internal/finops refused`);
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

/** A route that forgot its guard: the route audit must report it. */
@Controller('api/v1/unguarded-probe')
class UnguardedController {
  @Get()
  open() {
    return { ok: true };
  }
}

@Module({ controllers: [UnguardedController] })
export class UnguardedProbeModule {}
