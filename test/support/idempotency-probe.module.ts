import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Injectable, Module, Param, Post, StreamableFile } from '@nestjs/common';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import {
  type AuthContext,
  CurrentAuth,
  OrgKeyOrRootAuth,
  PlatformError,
  PlatformErrorCode,
  Public,
  rateLimited,
  RootKeyAuth,
} from '#platform';
import { IdempotencyModule } from '../../apps/api/src/idempotency/idempotency.module.js';
import { Idempotent } from '../../apps/api/src/idempotency/idempotent.decorator.js';

/** The secret every successful run returns; a replay must show it redacted. */
/** A fresh Idempotency-Key, and a fresh tag naming one request's handler runs (IdempotencyProbeRuns). */
export const aKey = () => `idem-${randomBytes(8).toString('hex')}`;
export const aTag = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

export const PROBE_API_KEY = 'probe_org_api_key_do_not_replay_0123456789';

/** How many times each `tag` reached a handler: "ran once" is asserted through this. */
@Injectable()
export class IdempotencyProbeRuns {
  private readonly runs = new Map<string, number>();

  hit(tag: string): number {
    const n = (this.runs.get(tag) ?? 0) + 1;
    this.runs.set(tag, n);
    return n;
  }

  count(tag: string): number {
    return this.runs.get(tag) ?? 0;
  }
}

class ProbeRunBody {
  @IsString() @Length(1, 80) tag: string;
  @IsOptional() @IsInt() @Min(0) @Max(5_000) delay_ms?: number;
  /** refuse: a 4xx DomainError; crash: an unexpected error (500). */
  @IsOptional() @IsIn(['refuse', 'crash', 'busy']) fail?: 'refuse' | 'crash' | 'busy';
  @IsOptional() @IsNumber() amount?: number;
}

class ProbeOnboardBody {
  @IsString() @Length(1, 80) tag: string;
  @IsString() @Length(3, 50) org_slug: string;
}

/** Test-only routes that exercise @Idempotent() on the real app. */
@Controller('api/v1/idem-probe')
class IdempotencyProbeController {
  constructor(private readonly runs: IdempotencyProbeRuns) {}

  @OrgKeyOrRootAuth()
  @Idempotent()
  @Post(':org/runs')
  async run(@Param('org') org: string, @Body() body: ProbeRunBody, @CurrentAuth() auth: AuthContext) {
    const run = this.runs.hit(body.tag);
    if (body.delay_ms) await sleep(body.delay_ms);
    if (body.fail === 'refuse')
      throw new PlatformError(PlatformErrorCode.BadRequest, `The probe refused run ${run} of ${body.tag}.`);
    if (body.fail === 'crash') throw new Error(`probe crashed on run ${run}`);
    // Like a lease held by another request: an answer that asks to be retried.
    if (body.fail === 'busy') throw rateLimited(1, 5);
    return {
      org,
      tag: body.tag,
      run,
      caller: auth.kind,
      amount: body.amount ?? null,
      api_key: PROBE_API_KEY,
      connection: { credentials: { user: 'u', password: 'p' }, host: 'db.example' },
      items: [{ token: 'tok_1', token_type: 'bearer' }],
    };
  }

  /** Like onboarding: root key, and the org it concerns is in the body. */
  @RootKeyAuth()
  @Idempotent({ orgSlugFrom: (req) => (req.body as { org_slug?: string } | undefined)?.org_slug })
  @Post('onboard')
  onboard(@Body() body: ProbeOnboardBody) {
    return { org_slug: body.org_slug, run: this.runs.hit(body.tag) };
  }

  /** A streamed, non-JSON body: served as is, never stored. */
  @OrgKeyOrRootAuth()
  @Idempotent()
  @Post(':org/export')
  export(@Param('org') org: string, @Body() body: ProbeRunBody): StreamableFile {
    const run = this.runs.hit(body.tag);
    return new StreamableFile(Buffer.from(`org,run\n${org},${run}\n`), { type: 'text/csv' });
  }

  /** A misuse: keys could not be scoped to a caller. */
  @Public()
  @Idempotent()
  @Post('public')
  open(@Body() body: ProbeRunBody) {
    return { run: this.runs.hit(body.tag) };
  }
}

@Module({
  imports: [IdempotencyModule],
  controllers: [IdempotencyProbeController],
  providers: [IdempotencyProbeRuns],
})
export class IdempotencyProbeModule {}
