import { Inject, Injectable } from '@nestjs/common';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import type { StoredBody } from './json-value.js';

/** One key of one caller, the request it is used for, and this claim of it. */
export interface IdempotencyClaim {
  scope: string;
  key: string;
  requestHash: string;
  /**
   * A UUID of this attempt alone: only the claim's current holder completes, renews or releases
   * it, not a request whose claim another attempt of the same request has taken over.
   */
  token: string;
}

export interface ClaimRequest extends IdempotencyClaim {
  /** The org the request concerns, so offboarding can delete its keys; null when none. */
  orgSlug: string | null;
  ttlSeconds: number;
  lockSeconds: number;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; status: number; body: StoredBody }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' };

interface ClaimRow {
  [column: string]: unknown;
  outcome: ClaimOutcome['outcome'];
  response_status: number | null;
  response_body: StoredBody;
}

/** The idempotency_keys table, only through its SQL functions (each one transaction on every driver). */
@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(TENANCY_DB) private readonly db: TenancyDb) {}

  async claim(c: ClaimRequest): Promise<ClaimOutcome> {
    const [row] = await this.db.rpc<ClaimRow>('claim_idempotency_request', {
      p_scope: c.scope,
      p_key: c.key,
      p_org_slug: c.orgSlug,
      p_request_hash: c.requestHash,
      p_claim_token: c.token,
      p_ttl_seconds: c.ttlSeconds,
      p_lock_seconds: c.lockSeconds,
    });
    if (!row) throw new Error('claim_idempotency_request returned no row');
    if (row.outcome === 'replay')
      return { outcome: 'replay', status: Number(row.response_status), body: row.response_body };
    return { outcome: row.outcome };
  }

  /** False when the claim is no longer this one (released, expired and claimed again, taken over) or completed. */
  async complete(c: IdempotencyClaim, status: number, body: StoredBody): Promise<boolean> {
    return this.scalar<boolean>('complete_idempotency_claim', {
      p_scope: c.scope,
      p_key: c.key,
      p_claim_token: c.token,
      p_status: status,
      p_body: body,
    });
  }

  /** Extends an in-flight claim's lock; false when the claim is no longer this one. */
  async renew(c: IdempotencyClaim, lockSeconds: number): Promise<boolean> {
    return this.scalar<boolean>('renew_idempotency_claim', {
      p_scope: c.scope,
      p_key: c.key,
      p_claim_token: c.token,
      p_lock_seconds: lockSeconds,
    });
  }

  async release(c: IdempotencyClaim): Promise<boolean> {
    return this.scalar<boolean>('release_idempotency_claim', {
      p_scope: c.scope,
      p_key: c.key,
      p_claim_token: c.token,
    });
  }

  async prune(): Promise<number> {
    return this.scalar<number>('prune_idempotency_keys', {});
  }

  async deleteForOrg(orgSlug: string): Promise<number> {
    return this.scalar<number>('delete_idempotency_keys_for_org', { p_org_slug: orgSlug });
  }

  private async scalar<T>(fn: string, args: Parameters<TenancyDb['rpc']>[1]): Promise<T> {
    const [row] = await this.db.rpc<Record<string, T>>(fn, args);
    return row[fn];
  }
}
