import { Inject, Injectable, Logger } from '@nestjs/common';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { AppConfig, hashApiKey } from '#platform';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuditAction } from '../audit/audit.types.js';
import { OrgLeases } from '../common/org-lease.js';
import { ApiKeyError, ApiKeyErrorCode } from './api-keys.errors.js';
import {
  type ActiveKeyInfo,
  ApiKeyService,
  type IssuedKey,
  type IssueOptions,
  type RotatedKey,
} from './api-key.service.js';

/** How many characters of a key hash identify it in the audit log. */
const HASH_PREFIX = 16;
/** Issuing or rotating a key takes a few warehouse statements; a crashed holder blocks this long. */
const KEY_LEASE_SECONDS = 120;

const keyBusy = (org: string) => (retryAfter: number) =>
  new ApiKeyError(
    ApiKeyErrorCode.KeyOperationInProgress,
    `Another request is issuing, rotating or revoking an API key of '${org}'; retry in ${retryAfter} s.`,
    { headers: { 'Retry-After': String(retryAfter) } },
  );

interface Audited {
  org: string;
  action: AuditAction;
  actor: AuditActor;
}

/** What the HTTP routes do with keys: the route-level checks around ApiKeyService, each audited. */
@Injectable()
export class ApiKeyOperations {
  private readonly logger = new Logger(ApiKeyOperations.name);

  constructor(
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly leases: OrgLeases,
    @Inject(TENANCY_DB) private readonly db: TenancyDb,
  ) {}

  /**
   * The dashboard shows the org's key by the fingerprint on its `organizations` row (written at
   * onboarding): after a key changes it names the key in use now, none when none is. A failure
   * leaves the old fingerprint shown; the key change stands.
   */
  private async publishFingerprint(org: string): Promise<void> {
    try {
      const active = await this.keys.activeKey(org);
      await this.db.update(
        'organizations',
        { org_slug: org },
        { backend_api_key_fingerprint: active?.fingerprint ?? null },
      );
    } catch (err) {
      this.logger.warn(
        `API key fingerprint of '${org}' not updated on its organizations row: ${String(err)}`,
      );
    }
  }

  /** `callerKeyId`: the org key the request came with (null for the root key). */
  rotate(
    org: string,
    graceSeconds: number,
    actor: AuditActor,
    callerKeyId: string | null,
  ): Promise<RotatedKey> {
    return this.audited({ org, action: 'ROTATE', actor }, async () => {
      const rotated = await this.keys.rotate(org, graceSeconds, callerKeyId);
      return {
        result: rotated,
        resourceId: rotated.keyId,
        details: {
          fingerprint: rotated.fingerprint,
          scopes: rotated.scopes,
          grace_period_seconds: graceSeconds,
          previous_expire_at: rotated.previousKeysExpireAt?.toISOString() ?? null,
        },
      };
    });
  }

  async info(org: string): Promise<ActiveKeyInfo> {
    const key = await this.keys.activeKey(org);
    if (!key)
      throw new ApiKeyError(
        ApiKeyErrorCode.KeyNotFound,
        `No active API key found for organization '${org}'.`,
      );
    return key;
  }

  create(org: string, opts: IssueOptions, actor: AuditActor): Promise<IssuedKey> {
    return this.audited({ org, action: 'CREATE', actor }, async () => {
      // 404 or 400 as a rotation or regeneration answers: a key of an org that is not ACTIVE would
      // be refused on every request (auth takes ACTIVE orgs only), so none is stored.
      await this.keys.assertActiveOrg(org);
      if (await this.keys.activeKey(org))
        throw new ApiKeyError(
          ApiKeyErrorCode.KeyExists,
          `Organization '${org}' already has an active API key. Revoke it first, or rotate it.`,
        );
      const issued = await this.keys.issue(org, opts);
      return {
        result: issued,
        resourceId: issued.keyId,
        details: {
          fingerprint: issued.fingerprint,
          scopes: issued.scopes,
          description: opts.description ?? null,
        },
      };
    });
  }

  async revoke(hash: string, actor: AuditActor): Promise<void> {
    const notFound = () => new ApiKeyError(ApiKeyErrorCode.KeyNotFound, 'No API key has this hash.');
    const org = await this.keys.orgOfHash(hash);
    if (!org) throw notFound();
    // Under the key lease too, like issues and rotations: a rotation by this key that had checked it
    // still active would otherwise mint its successor after the revocation (409 while one runs).
    await this.leases.write(org, () =>
      this.holdKeyLease(org, async () => {
        const entry = {
          orgSlug: org,
          action: 'DELETE',
          resourceType: 'API_KEY',
          resourceId: hash.slice(0, HASH_PREFIX),
          actor,
        } as const;
        // A failed revocation may still have applied (or the key still works): recorded either way.
        const revoked = await this.audit.failureRecorded(entry, () => this.keys.revokeByHash(hash));
        // Gone meanwhile: the org was removed just before this write began (no entry to leave).
        if (!revoked) throw notFound();
        await this.publishFingerprint(org);
        // Answered alike (revoking is idempotent), but an entry for a key that was revoked already
        // says so: the trail counts one revocation per key, with every later request beside it.
        await this.audit.record({
          ...entry,
          details: { already_revoked: !revoked.revoked },
          status: 'SUCCESS',
        });
      }),
    );
  }

  regenerate(org: string, actor: AuditActor): Promise<IssuedKey & { hash: string }> {
    return this.audited({ org, action: 'ROTATE', actor }, async () => {
      const issued = await this.keys.regenerate(org);
      return {
        result: { ...issued, hash: hashApiKey(issued.apiKey) },
        resourceId: issued.keyId,
        details: { fingerprint: issued.fingerprint, scopes: issued.scopes, reason: 'regenerate' },
      };
    });
  }

  /** Development only: the plaintext of the org's active key, for local tooling. */
  async revealForDev(org: string, actor: AuditActor): Promise<string> {
    if (this.config.environment !== 'development')
      throw new ApiKeyError(
        ApiKeyErrorCode.DevOnly,
        'This endpoint is only available in development environments.',
      );
    return this.leases.write(org, async () => {
      const apiKey = await this.keys.revealActive(org);
      if (!apiKey)
        throw new ApiKeyError(
          ApiKeyErrorCode.KeyNotFound,
          `No active API key with a stored copy for organization '${org}'.`,
        );
      await this.audit.record({
        orgSlug: org,
        action: 'READ',
        resourceType: 'API_KEY',
        details: { purpose: 'development reveal' },
        status: 'SUCCESS',
        actor,
      });
      return apiKey;
    });
  }

  /**
   * Runs `work` under the org's API-key lease (one issue or rotation at a time across instances,
   * so an org never ends up with two active keys) and records its outcome, a failure of the work
   * too (see failureRecorded). A configuration write of the org, entry included:
   * never in the middle of its removal (OrgLeases.write).
   */
  private audited<T>(
    audited: Audited,
    work: () => Promise<{ result: T; resourceId: string; details: Record<string, unknown> }>,
  ): Promise<T> {
    return this.leases.write(audited.org, () => this.auditedWork(audited, work));
  }

  private async auditedWork<T>(
    audited: Audited,
    work: () => Promise<{ result: T; resourceId: string; details: Record<string, unknown> }>,
  ): Promise<T> {
    const { org, action, actor } = audited;
    // Refused while another request holds the lease (409): nothing was attempted, so nothing is
    // recorded (a burst of refusals for a slug with no org wrote one entry each, for whoever takes
    // the slug next). A failure of the work is recorded too (AuditService.failureRecorded). The
    // fingerprint is published under the lease, as a revocation does: published after it, a
    // key change that began meanwhile could publish its key first and be overwritten by this one.
    const { result, resourceId, details } = await this.holdKeyLease(org, async () => {
      const done = await this.audit.failureRecorded(
        { orgSlug: org, action, resourceType: 'API_KEY', actor },
        work,
      );
      await this.publishFingerprint(org);
      return done;
    });
    await this.audit.record({
      orgSlug: org,
      action,
      resourceType: 'API_KEY',
      resourceId,
      details,
      status: 'SUCCESS',
      actor,
    });
    return result;
  }

  /** `work` holding the org's API-key lease: one change to its keys at a time, else 409 (keyBusy). */
  private holdKeyLease<T>(org: string, work: () => Promise<T>): Promise<T> {
    return this.leases.hold(org, 'api-key', KEY_LEASE_SECONDS, keyBusy(org), work);
  }
}
