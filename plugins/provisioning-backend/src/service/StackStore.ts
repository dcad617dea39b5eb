import type { Knex } from 'knex';
import type {
  ProvisioningStack,
  StackClaimRequest,
  StackKey,
  StackLease,
} from '@konductor/plugin-provisioning-common';
import {
  parseStackRef,
  stackIdFor,
  stackRefOf,
} from '@konductor/plugin-provisioning-common';
import { iso, stackKeyColumns as keyOf } from './database';
import { StackVersionStore } from './StackVersions';
import { StackDriftStore } from './StackDrift';

function toStack(row: any): ProvisioningStack {
  const key = {
    accountId: row.account_id,
    region: row.region,
    stackId: row.stack_id,
  };
  return {
    ...key,
    ref: stackRefOf(key),
    name: row.name,
    environment: row.environment,
    owner: row.owner,
    createdBy: row.created_by ?? undefined,
    createdAt: iso(row.created_at),
  };
}

/** Who owns each stack, on SQLite or PostgreSQL; (account, region, stack id) is unique. */
export class StackStore {
  constructor(private readonly db: Knex) {}

  async get(key: StackKey): Promise<ProvisioningStack | undefined> {
    const row = await this.db('stacks').where(keyOf(key)).first();
    return row ? toStack(row) : undefined;
  }

  /** The stacks of `refs` (`<accountId>/<region>/<stackId>`), in order; undefined where none is recorded. */
  async getByRefs(refs: string[]): Promise<(ProvisioningStack | undefined)[]> {
    const keys = refs.map(parseStackRef);
    const valid = keys.filter((k): k is StackKey => !!k);
    if (!valid.length) return refs.map(() => undefined);
    const rows = await this.db('stacks').where(builder => {
      for (const k of valid) builder.orWhere(keyOf(k));
    });
    const byRef = new Map(
      rows.map(toStack).map(stack => [stack.ref, stack] as const),
    );
    return refs.map(ref => byRef.get(ref));
  }

  /**
   * Records `request.owner` as the stack's owner unless the stack is recorded already; either
   * way returns the recorded stack, and whether this call created it. Two claims at once keep
   * one (the primary key decides).
   */
  async claim(
    request: StackClaimRequest & { createdBy?: string },
  ): Promise<{ stack: ProvisioningStack; created: boolean }> {
    const key = {
      accountId: request.accountId,
      region: request.region,
      stackId: stackIdFor(request.name, request.environment),
    };
    const existing = await this.get(key);
    if (existing) return { stack: existing, created: false };
    try {
      await this.db('stacks').insert({
        ...keyOf(key),
        name: request.name,
        environment: request.environment,
        owner: request.owner,
        created_by: request.createdBy,
        created_at: new Date(),
      });
    } catch (e) {
      const raced = await this.get(key);
      if (raced) return { stack: raced, created: false };
      throw e;
    }
    return { stack: (await this.get(key))!, created: true };
  }

  /**
   * Takes or renews the lease of a recorded stack for `holder`: granted when nobody holds it,
   * `holder` does, or the holder's lease has expired (the holder died). Otherwise returns the
   * current lease, and nothing changes. One conditional update, so two takers never both win.
   */
  async acquireLease(
    key: StackKey,
    holder: string,
    ttlMs: number,
    now = new Date(),
  ): Promise<{ granted: boolean; lease?: StackLease }> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const changed = await this.db('stacks')
      .where(keyOf(key))
      .andWhere(q =>
        q
          .whereNull('lease_holder')
          .orWhere('lease_holder', holder)
          .orWhere('lease_expires_at', '<', now),
      )
      .update({ lease_holder: holder, lease_expires_at: expiresAt });
    if (changed)
      return {
        granted: true,
        lease: { holder, expiresAt: expiresAt.toISOString() },
      };
    const row = await this.db('stacks').where(keyOf(key)).first();
    return {
      granted: false,
      lease: row?.lease_holder
        ? { holder: row.lease_holder, expiresAt: iso(row.lease_expires_at) }
        : undefined,
    };
  }

  /** Gives a stack's lease up, if `holder` holds it. */
  async releaseLease(key: StackKey, holder: string): Promise<void> {
    await this.db('stacks')
      .where(keyOf(key))
      .andWhere('lease_holder', holder)
      .update({ lease_holder: null, lease_expires_at: null });
  }

  /** Forgets a stack (after it was destroyed), its versions and its drift; true when there was one. */
  async release(key: StackKey): Promise<boolean> {
    return this.db.transaction(async tx => {
      await StackVersionStore.forget(tx, key);
      await StackDriftStore.forget(tx, key);
      return (await tx('stacks').where(keyOf(key)).delete()) > 0;
    });
  }
}
