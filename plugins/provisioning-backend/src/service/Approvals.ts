import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type {
  ApprovalDecision,
  ApprovalOpenRequest,
  ApprovalOpenResult,
  ApprovalRequest,
  ApprovalState,
} from '@konductor/plugin-provisioning-common';
import { iso, stackKeyColumns } from './database';
import { refsOnly, type Names } from '@konductor/plugin-provisioning-node';
import type { ApprovalRules } from './approvalRules';
import type { TeamBudgets } from './TeamBudgets';

const TABLE = 'approval_requests';

function requestOf(row: any): ApprovalRequest {
  return {
    id: row.id,
    taskId: row.task_id,
    operation: row.operation,
    accountId: row.account_id,
    region: row.region,
    stackId: row.stack_id,
    environment: row.environment,
    owner: row.owner,
    monthlyCost: Number(row.monthly_cost),
    summary: JSON.parse(row.summary),
    ...(row.compliance ? { compliance: JSON.parse(row.compliance) } : {}),
    reasons: JSON.parse(row.reasons),
    approvers: JSON.parse(row.approvers),
    requestedBy: row.requested_by,
    requestedAt: iso(row.requested_at),
    expiresAt: iso(row.expires_at),
    state: row.state,
    ...(row.decided_by ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at ? { decidedAt: iso(row.decided_at) } : {}),
    ...(row.comment ? { comment: row.comment } : {}),
    ...(row.resumed_at ? { resumedAt: iso(row.resumed_at) } : {}),
  };
}

/**
 * Approval requests, kept in the database: a stack run that the platform's rules say needs
 * approval opens one and ends its task; the request waits here (through restarts, holding no
 * worker) until someone the rules name decides it, or it expires. Every change of state is one
 * conditional write, so two approvers (or replicas) never both decide.
 */
export class Approvals {
  private readonly now: () => Date;

  constructor(
    private readonly db: Knex,
    private readonly rules: ApprovalRules,
    private readonly budgets: TeamBudgets,
    private readonly options: {
      now?: () => Date;
      /** People's and teams' names for refusals, as the catalog presents them; else refs. */
      names?: Names;
    } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Whether the run `request` describes needs approval, and its request when it does: opened
   * now (`created`), or the one opened before for the same task, stack and operation.
   */
  async open(
    requestedBy: string,
    request: Omit<ApprovalOpenRequest, 'requestedBy'>,
  ): Promise<{ result: ApprovalOpenResult; created: boolean }> {
    const earlier = await this.byRun(request);
    if (earlier)
      return { result: { required: true, request: earlier }, created: false };
    const need = await this.rules.need({
      environment: request.environment,
      operation: request.operation,
      owner: request.owner,
      overBudget: await this.overBudget(request),
    });
    if (!need) return { result: { required: false }, created: false };
    const now = this.now();
    const id = randomUUID();
    await this.db(TABLE)
      .insert({
        id,
        task_id: request.taskId,
        operation: request.operation,
        ...stackKeyColumns(request),
        environment: request.environment,
        owner: request.owner,
        monthly_cost: request.monthlyCost,
        summary: JSON.stringify(request.summary),
        compliance: request.compliance
          ? JSON.stringify(request.compliance)
          : null,
        reasons: JSON.stringify(need.reasons),
        approvers: JSON.stringify(need.approvers),
        requested_by: requestedBy,
        requested_at: now,
        expires_at: new Date(now.getTime() + this.rules.expiresAfterMs),
        state: 'pending',
      })
      .onConflict(['task_id', 'account_id', 'region', 'stack_id', 'operation'])
      .ignore();
    const opened = (await this.byRun(request))!;
    return {
      result: { required: true, request: opened },
      created: opened.id === id,
    };
  }

  /**
   * Whether the run takes its owner over their budget or quota. The stack is claimed before the
   * run asks, so a new stack already counts in its owner's stacks.
   */
  private async overBudget(
    request: Omit<ApprovalOpenRequest, 'requestedBy'>,
  ): Promise<boolean> {
    if (request.operation === 'destroy') return false;
    const { budget, refusal } = await this.budgets.standing(
      request,
      request.monthlyCost,
    );
    return (
      !!refusal ||
      (request.operation === 'provision' &&
        budget.stacks !== null &&
        budget.stackCount > budget.stacks)
    );
  }

  private async byRun(
    request: Pick<
      ApprovalOpenRequest,
      'taskId' | 'accountId' | 'region' | 'stackId' | 'operation'
    >,
  ): Promise<ApprovalRequest | undefined> {
    const row = await this.db(TABLE)
      .where({
        task_id: request.taskId,
        operation: request.operation,
        ...stackKeyColumns(request),
      })
      .first();
    return row ? requestOf(row) : undefined;
  }

  async get(id: string): Promise<ApprovalRequest> {
    const row = await this.db(TABLE).where({ id }).first();
    if (!row) throw new NotFoundError(`No approval request ${id}`);
    return requestOf(row);
  }

  /** Requests newest first, those in `state` when it is given (at most `limit`). */
  async list(state?: ApprovalState, limit = 500): Promise<ApprovalRequest[]> {
    const rows = await this.db(TABLE)
      .modify(q => {
        if (state) q.where({ state });
      })
      .orderBy('requested_at', 'desc')
      .limit(limit);
    return rows.map(requestOf);
  }

  /**
   * Approves or rejects a waiting request. Whoever asked for the run never decides it, whatever
   * else they may do; a request decided or expired meanwhile is refused, saying how it ended.
   */
  async decide(
    id: string,
    decidedBy: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalRequest> {
    const request = await this.get(id);
    if (request.requestedBy === decidedBy) {
      const name = await (this.options.names ?? refsOnly)(request.approvers);
      throw new NotAllowedError(
        `You asked for this run: someone else (${request.approvers
          .map(name)
          .join(' or ')}) must decide it`,
      );
    }
    const now = this.now();
    const decided = await this.db(TABLE)
      .where({ id, state: 'pending' })
      .andWhere('expires_at', '>', now)
      .update({
        state: decision.decision === 'approve' ? 'approved' : 'rejected',
        decided_by: decidedBy,
        decided_at: now,
        comment: decision.comment || null,
      });
    if (!decided) await this.refuseEnded(id);
    return this.get(id);
  }

  /**
   * Withdraws a waiting request for its requester (or whoever the policy lets): it will not run.
   * One that was decided or expired meanwhile is refused, saying how it ended.
   */
  async withdraw(id: string, withdrawnBy: string): Promise<ApprovalRequest> {
    const now = this.now();
    const withdrawn = await this.db(TABLE)
      .where({ id, state: 'pending' })
      .andWhere('expires_at', '>', now)
      .update({ state: 'withdrawn', decided_by: withdrawnBy, decided_at: now });
    if (!withdrawn) await this.refuseEnded(id);
    return this.get(id);
  }

  /** Refuses a change of a request that is no longer waiting, saying how it ended. */
  private async refuseEnded(id: string): Promise<never> {
    await this.expireDue();
    const current = await this.get(id);
    const { decidedBy } = current;
    const name = await (this.options.names ?? refsOnly)(
      decidedBy ? [decidedBy] : [],
    );
    throw new ConflictError(
      current.state === 'expired'
        ? `Request ${id} expired at ${current.expiresAt} undecided: the requester may start the run again`
        : `Request ${id} is already ${current.state}${
            decidedBy ? ` by ${name(decidedBy)}` : ''
          }`,
    );
  }

  /** Expires every waiting request past its time; returns those it expired. */
  async expireDue(): Promise<ApprovalRequest[]> {
    const now = this.now();
    const due = await this.db(TABLE)
      .where({ state: 'pending' })
      .andWhere('expires_at', '<=', now)
      .select('id');
    const expired: ApprovalRequest[] = [];
    for (const { id } of due) {
      const changed = await this.db(TABLE)
        .where({ id, state: 'pending' })
        .update({ state: 'expired', decided_at: now });
      if (changed) expired.push(await this.get(id));
    }
    return expired;
  }

  /** Approved requests whose task has not been resumed yet. */
  async awaitingResume(): Promise<ApprovalRequest[]> {
    const rows = await this.db(TABLE)
      .where({ state: 'approved' })
      .whereNull('resumed_at')
      .orderBy('decided_at');
    return rows.map(requestOf);
  }

  /** Records that an approved request's task was resumed; false when another did it first. */
  async markResumed(id: string): Promise<boolean> {
    return (
      (await this.db(TABLE)
        .where({ id, state: 'approved' })
        .whereNull('resumed_at')
        .update({ resumed_at: this.now() })) > 0
    );
  }
}
