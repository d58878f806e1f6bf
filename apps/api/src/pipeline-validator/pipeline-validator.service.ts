import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CostCache } from '#analytics';
import { CryptoError, CryptoErrorCode, ENCRYPTOR, type Encryptor } from '#crypto';
import { AppConfig } from '#platform';
import { QuotaService, refusalMessage } from '../quota/quota.service.js';
import type {
  CompletionResult,
  HeartbeatResult,
  ReservationDecision,
  RunRef,
  RunStatus,
} from '../quota/quota.types.js';
import type { ValidateRequestDto, ValidateResponseDto } from './dto/validate.dto.js';
import {
  IntegrationCredentialsRepository,
  type StoredCredential,
} from './integration-credentials.repository.js';
import { PipelineRegistry } from './pipeline-registry.js';
import { quotaSnapshot, subscriptionOf, subscriptionRefusal } from './subscription-view.js';

type Outcome = Pick<ValidateResponseDto, 'error' | 'error_code'> & Partial<ValidateResponseDto>;

/**
 * The pipeline service's gate before a run: the checks of the system this one replaces, in its
 * order, with the quota reservation last, so a run refused for any other reason holds no slot.
 * Refusals are answers (valid: false), not errors; an unreachable tenancy DB is an error (503),
 * so nothing is ever admitted without the reservation being written.
 */
@Injectable()
export class PipelineValidatorService {
  constructor(
    private readonly registry: PipelineRegistry,
    private readonly quota: QuotaService,
    private readonly credentials: IntegrationCredentialsRepository,
    private readonly config: AppConfig,
    @Inject(ENCRYPTOR) private readonly encryptor: Encryptor,
    private readonly costCache: CostCache,
  ) {}

  async validate(
    org: string,
    req: ValidateRequestDto,
    idempotencyKey?: string,
  ): Promise<ValidateResponseDto> {
    const runId = req.pipeline_logging_id ?? idempotencyKey ?? randomUUID();
    const base: ValidateResponseDto = {
      valid: false,
      org_slug: org,
      org_dataset_id: this.config.orgDataset(org),
      pipeline_id: req.pipeline_id,
      pipeline_config: null,
      subscription: null,
      quota: null,
      credentials: null,
      error: null,
      error_code: null,
      quota_reason: null,
      run_id: runId,
      pipeline_logging_id: runId,
      reservation_id: null,
      reservation_date: null,
      reservation_expires_at: null,
      replayed: false,
      retry_after_seconds: null,
    };
    const refuse = (o: Outcome): ValidateResponseDto => ({ ...base, ...o, valid: false });

    const pipeline = this.registry.resolve(req.pipeline_id);
    if (!pipeline)
      return refuse({ error_code: 'PIPELINE_NOT_FOUND', error: `Pipeline '${req.pipeline_id}' not found` });
    base.pipeline_config = { ...pipeline };
    if (!pipeline.enabled)
      return refuse({ error_code: 'PIPELINE_DISABLED', error: `Pipeline '${pipeline.id}' is disabled` });

    const noOrg = () =>
      refuse({ error_code: 'ORG_NOT_FOUND', error: `Organization '${org}' has no subscription record` });
    // A pipeline that may run longer than the configured hold keeps its slot for twice its timeout.
    const ttl =
      req.reservation_ttl_seconds ??
      Math.max(this.quota.reservationTtlSeconds, pipeline.default_timeout_seconds * 2);
    let credentials: Record<string, unknown> | null = null;
    let decision: ReservationDecision | null = null;
    const provider = pipeline.required_integration;
    if (provider) {
      // The subscription is checked before the integration, in the reference's order. Without an
      // integration to check, the reservation checks the subscription itself: one round trip less.
      const subscription = await this.quota.subscription(org);
      if (!subscription) return noOrg();
      base.subscription = subscriptionOf(subscription);
      const inactive = subscriptionRefusal(subscription, new Date());
      const found = inactive
        ? ({ error_code: 'SUBSCRIPTION_INACTIVE', error: inactive } as const)
        : await this.integration(org, provider, req.include_credentials);
      if ('error_code' in found) {
        // A retry of a run granted before these checks failed (a trial that ended at UTC midnight
        // since, an integration removed) gets its grant again: its reservation holds the slot.
        decision = await this.quota.replay(org, runId, pipeline.id, ttl);
        if (!decision) return refuse(found);
        credentials = inactive
          ? await this.credentialsIfUsable(org, provider, req.include_credentials)
          : null;
      } else credentials = found.credentials;
    }

    decision ??= await this.quota.reserve(org, runId, pipeline.id, ttl);
    if (!decision.subscription) return noOrg();
    base.subscription = subscriptionOf(decision.subscription);
    // A subscription that may not run pipelines leaves no run today (a replayed grant past a
    // trial's end included), as the quota read says.
    const runnable =
      decision.reason !== 'SUBSCRIPTION_INACTIVE' &&
      subscriptionRefusal(decision.subscription, new Date()) === null;
    if (decision.counts) base.quota = quotaSnapshot(decision.counts, runnable);
    if (!decision.granted) {
      const reason = decision.reason ?? 'QUOTA_EXCEEDED';
      const quotaLimit = reason.startsWith('QUOTA_');
      const inactive =
        reason === 'SUBSCRIPTION_INACTIVE' ? subscriptionRefusal(decision.subscription, new Date()) : null;
      return refuse({
        error_code: quotaLimit ? 'QUOTA_EXCEEDED' : reason,
        error: inactive ?? refusalMessage(decision),
        quota_reason: quotaLimit ? reason : null,
        retry_after_seconds: decision.retryAfterSeconds,
      });
    }
    return {
      ...base,
      valid: true,
      credentials,
      reservation_id: decision.reservationId,
      reservation_date: decision.reservationDate,
      reservation_expires_at: decision.expiresAt,
      replayed: decision.replayed,
    };
  }

  /**
   * A run that ends has loaded costs (a failed one possibly part of them): the org's cost reads
   * are dropped on every instance, so the dashboard sees them now rather than at the cache's
   * expiry. A failed invalidation only means stale reads until then; the completion stands.
   */
  async complete(org: string, ref: RunRef, status: RunStatus): Promise<CompletionResult> {
    try {
      return await this.quota.complete(org, ref, status);
    } finally {
      // Whatever the quota answers: a repeat is sent when an answer was lost, maybe after the run
      // was recorded (a connection cut after the commit, a Supabase call abandoned at its timeout),
      // and is then the one call that answers; a refusal (the reservation expired and was pruned, a
      // database error) still ends a run that may have loaded costs. This instance's entries go at
      // once; the other instances' through the bus, not awaited here (invalidateOrg does not
      // reject: a failed broadcast is logged by the cache).
      void this.costCache.invalidateOrg(org);
    }
  }

  heartbeat(org: string, ref: RunRef, ttlSeconds?: number): Promise<HeartbeatResult> {
    return this.quota.heartbeat(org, ref, ttlSeconds);
  }

  /** A replayed grant's credential: as the first grant gave it while the integration still has it. */
  private async credentialsIfUsable(
    org: string,
    provider: string,
    include: boolean,
  ): Promise<Record<string, unknown> | null> {
    if (!include) return null;
    const found = await this.integration(org, provider, include);
    return 'error_code' in found ? null : found.credentials;
  }

  /** The required-integration check; with `include`, the decrypted credential as well. */
  private async integration(
    org: string,
    provider: string,
    include: boolean,
  ): Promise<Outcome | { credentials: Record<string, unknown> | null }> {
    if (!include) {
      if (await this.credentials.hasUsable(org, provider)) return { credentials: null };
      return {
        error_code: 'INTEGRATION_NOT_CONFIGURED',
        error: `Required integration '${provider}' not configured`,
      };
    }
    const stored = await this.credentials.findUsable(org, provider);
    if (!stored)
      return {
        error_code: 'INTEGRATION_ERROR',
        error: `No active ${provider} credentials configured for this organization`,
      };
    try {
      return { credentials: await this.reveal(org, stored) };
    } catch (err) {
      // A key service outage is the server's problem (503); a blob that will not open is the credential's.
      if (err instanceof CryptoError && err.code === CryptoErrorCode.DecryptFailed)
        return { error_code: 'INTEGRATION_ERROR', error: 'Failed to decrypt credentials' };
      throw err;
    }
  }

  private async reveal(org: string, stored: StoredCredential): Promise<Record<string, unknown>> {
    const plain = await this.encryptor.decrypt(
      stored.encrypted_credential,
      `credential:${org}:${stored.provider}`,
    );
    const text = plain.toString('utf8');
    let secret: unknown = text;
    try {
      secret = JSON.parse(text);
    } catch {
      // API keys are stored as plain strings, service accounts as JSON.
    }
    const metadata = (
      typeof stored.metadata === 'object' && stored.metadata !== null ? stored.metadata : {}
    ) as Record<string, unknown>;
    return {
      credential_id: stored.credential_id,
      provider: stored.provider,
      credential_type: stored.credential_type,
      credential_name: stored.credential_name,
      credentials: secret,
      project_id: metadata.project_id ?? null,
      region: metadata.region ?? null,
      scopes: metadata.scopes ?? null,
    };
  }
}
