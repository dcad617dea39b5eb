import type { Knex } from 'knex';
import type {
  ExpiryNotice,
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

/** A `stacks` row as the API answers it. */
export function toStack(row: any): ProvisioningStack {
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
    ...(row.expires_at ? { expiresAt: iso(row.expires_at) } : {}),
    ...(row.expiry_task_id ? { expiryTaskId: row.expiry_task_id } : {}),
  };
}

/** A stack whose expiry is near, with the last notice its owners were sent. */
export type ExpiringStack = ProvisioningStack & {
  expiresAt: string;
  expiryNotice?: ExpiryNotice;
};

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
    request: Omit<StackClaimRequest, 'expiresAt'> & {
      createdBy?: string;
      expiresAt?: string;
    },
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
        expires_at: request.expiresAt ? new Date(request.expiresAt) : null,
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

  /**
   * Moves a stack's expiry, unless its expiry has already started its destroy run; the notices
   * start again from the new date. False when nothing changed.
   */
  async setExpiry(key: StackKey, expiresAt: string): Promise<boolean> {
    const changed = await this.db('stacks')
      .where(keyOf(key))
      .whereNull('expiry_task_id')
      .update({ expires_at: new Date(expiresAt), expiry_notice: null });
    return changed > 0;
  }

  /** Stacks whose expiry is before `until` and whose destroy run has not started, soonest first. */
  async expiring(until: Date, limit = 100): Promise<ExpiringStack[]> {
    const rows = await this.db('stacks')
      .where('expires_at', '<', until)
      .whereNull('expiry_task_id')
      .orderBy('expires_at')
      .limit(limit);
    return rows.map(row => ({
      ...(toStack(row) as ExpiringStack),
      ...(row.expiry_notice ? { expiryNotice: row.expiry_notice } : {}),
    }));
  }

  /**
   * Records that the owners were sent `notice` (the last one sent was `previous`): one
   * conditional update, so two sweeps never both send it. True for the sweep that records it.
   */
  async markExpiryNotice(
    key: StackKey,
    previous: ExpiryNotice | undefined,
    notice: ExpiryNotice,
  ): Promise<boolean> {
    const changed = await this.db('stacks')
      .where(keyOf(key))
      .whereNull('expiry_task_id')
      .andWhere(q =>
        previous
          ? q.where('expiry_notice', previous)
          : q.whereNull('expiry_notice'),
      )
      .update({ expiry_notice: notice });
    return changed > 0;
  }

  /** Records the destroy task the stack's expiry started. */
  async markExpiryTask(key: StackKey, taskId: string): Promise<void> {
    await this.db('stacks')
      .where(keyOf(key))
      .update({ expiry_task_id: taskId, expiry_notice: 'destroying' });
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
