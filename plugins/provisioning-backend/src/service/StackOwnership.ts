import type {
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ExpiryPolicy,
  expiryRefusal,
  initialExpiry,
  ProvisioningStack,
  BudgetStanding,
  StackAvailability,
  StackClaimRequest,
  StackKey,
  budgetRefusal,
  provisioningStackCreatePermission,
  provisioningStackReadPermission,
  provisioningStackUpdatePermission,
  stackIdFor,
  stackTakenMessage,
} from '@konductor/plugin-provisioning-common';
import { stackPermissionResource } from '@konductor/plugin-provisioning-node';
import type { StackAccess } from './StackAccess';
import type { StackStore } from './StackStore';
import type { TeamBudgets } from './TeamBudgets';
import type { ApprovalRules } from './approvalRules';

/**
 * Claims of stacks for their owners: a stack nobody has is claimed for the requested owner when
 * the caller may create stacks for that owner (the policy's "member of the owner" rule); a stack
 * of the same owner is claimed again when the caller may change it; a stack of another owner is
 * refused, naming the owner to callers who may see the stack (the policy's `othersSeeStacks`).
 * A new dev or staging stack gets the expiry asked for (within the platform's maximum) or the
 * platform's default; a stack that exists keeps its own. A claim that would take its owner over
 * their budget or stack quota in the environment is refused with the numbers, unless an approval
 * rule sends such a run to approval (the run then waits for it before anything is created).
 */
export class StackOwnership {
  constructor(
    private readonly store: StackStore,
    private readonly access: StackAccess,
    private readonly expiry: ExpiryPolicy,
    private readonly budgets: TeamBudgets,
    private readonly approvalRules?: ApprovalRules,
  ) {}

  async claim(
    credentials: BackstageCredentials<
      BackstageUserPrincipal | BackstageServicePrincipal
    >,
    request: StackClaimRequest,
  ): Promise<{ stack: ProvisioningStack; created: boolean }> {
    const key = {
      accountId: request.accountId,
      region: request.region,
      stackId: stackIdFor(request.name, request.environment),
    };
    const existing = await this.store.get(key);
    if (existing) {
      await this.mayChange(credentials, existing, request.owner);
      await this.withinBudget(key, request, 'change');
      return { stack: existing, created: false };
    }
    await this.access.require(
      credentials,
      provisioningStackCreatePermission,
      {
        stackId: key.stackId,
        environment: request.environment,
        owner: request.owner,
      },
      name =>
        `You may not create stacks for ${name(
          request.owner,
        )}: choose an owner group you belong to`,
    );
    const refusal =
      request.expiresAt &&
      expiryRefusal(request.environment, request.expiresAt, this.expiry);
    if (refusal) throw new InputError(refusal);
    await this.withinBudget(key, request, 'provision');
    const claimed = await this.store.claim({
      ...request,
      expiresAt: initialExpiry(
        request.environment,
        request.expiresAt,
        this.expiry,
      ),
      createdBy:
        credentials.principal.type === 'user'
          ? credentials.principal.userEntityRef
          : undefined,
    });
    // Another request claimed it between the read and the write.
    if (!claimed.created) {
      await this.mayChange(credentials, claimed.stack, request.owner);
      return claimed;
    }
    // Two new stacks claimed at once may both have fit the quota: the one over it lets go.
    const { budget } = await this.budgets.standing(
      { ...key, owner: request.owner, environment: request.environment },
      undefined,
    );
    if (
      budget.stacks !== null &&
      budget.stackCount > budget.stacks &&
      !this.approvalRules?.approvesOverBudget({
        environment: request.environment,
        operation: 'provision',
      })
    ) {
      await this.store.release(key);
      throw new NotAllowedError(
        budgetRefusal(
          { ...budget, stackCount: budget.stackCount - 1 },
          0,
          true,
          await this.access.nameOf([request.owner]),
        ),
      );
    }
    return claimed;
  }

  /**
   * Refuses a request that takes its owner over their budget or quota, with the numbers, unless
   * the approval rules send it to approval.
   */
  private async withinBudget(
    key: StackKey,
    request: Pick<StackClaimRequest, 'owner' | 'environment' | 'monthlyCost'>,
    operation: 'provision' | 'change',
  ) {
    const { refusal } = await this.named(
      await this.budgets.standing(
        { ...key, owner: request.owner, environment: request.environment },
        request.monthlyCost,
      ),
    );
    if (
      refusal &&
      !this.approvalRules?.approvesOverBudget({
        environment: request.environment,
        operation,
      })
    )
      throw new NotAllowedError(refusal);
  }

  /** A group's or person's name, as the catalog presents it, for a refusal. */
  private async nameOf(ref: string): Promise<string> {
    return (await this.access.nameOf([ref]))(ref);
  }

  /** A standing whose refusal names the group as the catalog presents it. */
  private async named(standing: BudgetStanding): Promise<BudgetStanding> {
    if (!standing.refusal) return standing;
    return {
      ...standing,
      refusal: budgetRefusal(
        standing.budget,
        standing.adds,
        standing.newStack,
        await this.access.nameOf([standing.budget.owner]),
      ),
    };
  }

  /** Refuses a claim of `stack` for `owner` unless it is the stack's owner and the caller may change it. */
  private async mayChange(
    credentials: BackstageCredentials,
    stack: ProvisioningStack,
    owner: string,
  ) {
    if (stack.owner !== owner)
      throw new ConflictError(
        (await this.taken(credentials, stack, owner)).reason,
      );
    await this.access.require(
      credentials,
      provisioningStackUpdatePermission,
      stackPermissionResource(stack),
      name =>
        `You may not change stack ${stack.stackId}: it belongs to ${name(
          stack.owner,
        )}, and only its members or a platform admin may change it`,
    );
  }

  /** Whether a claim would be accepted, and if not, why; never throws for a taken name. */
  async availability(
    credentials: BackstageCredentials,
    query: Omit<StackClaimRequest, 'owner'> & { owner?: string },
  ): Promise<StackAvailability> {
    const stackId = stackIdFor(query.name, query.environment);
    const existing = await this.store.get({
      accountId: query.accountId,
      region: query.region,
      stackId,
    });
    if (existing) {
      if (query.owner !== existing.owner)
        return {
          stackId,
          available: false,
          ...(await this.taken(credentials, existing, query.owner)),
        };
      const [mayChange] = await this.access.allows(
        credentials,
        provisioningStackUpdatePermission,
        [stackPermissionResource(existing)],
      );
      return mayChange
        ? {
            stackId,
            available: true,
            owner: existing.owner,
            ...(await this.budgetOf(query, existing.owner, 'change')),
          }
        : {
            stackId,
            available: false,
            owner: existing.owner,
            reason: `Stack ${stackId} belongs to ${await this.nameOf(
              existing.owner,
            )}; you may not change it`,
          };
    }
    if (!query.owner) return { stackId, available: true };
    const [mayCreate] = await this.access.allows(
      credentials,
      provisioningStackCreatePermission,
      [{ stackId, environment: query.environment, owner: query.owner }],
    );
    return mayCreate
      ? {
          stackId,
          available: true,
          ...(await this.budgetOf(query, query.owner, 'provision')),
        }
      : {
          stackId,
          available: false,
          reason: `You may not create stacks for ${await this.nameOf(
            query.owner,
          )}: choose an owner group you belong to`,
        };
  }

  /**
   * The request in its owner's budget, when it names its cost, and whether the run would wait
   * for approval (then a request over budget is not refused).
   */
  private async budgetOf(
    query: Omit<StackClaimRequest, 'owner'> & { owner?: string },
    owner: string,
    operation: 'provision' | 'change',
  ): Promise<Pick<StackAvailability, 'budget' | 'approval'>> {
    const budget =
      query.monthlyCost === undefined
        ? undefined
        : await this.named(
            await this.budgets.standing(
              {
                accountId: query.accountId,
                region: query.region,
                stackId: stackIdFor(query.name, query.environment),
                owner,
                environment: query.environment,
              },
              query.monthlyCost,
            ),
          );
    const approval = await this.approvalRules?.need({
      environment: query.environment,
      operation,
      owner,
      overBudget: !!budget?.refusal,
    });
    return {
      ...(budget ? { budget } : {}),
      ...(approval ? { approval } : {}),
    };
  }

  /** Why `stack` cannot be had by `owner`, naming its owner only to a caller who may see the stack. */
  private async taken(
    credentials: BackstageCredentials,
    stack: ProvisioningStack,
    owner?: string,
  ): Promise<{ owner?: string; reason: string }> {
    const [mayRead] = await this.access.allows(
      credentials,
      provisioningStackReadPermission,
      [stackPermissionResource(stack)],
    );
    if (!mayRead)
      return { reason: stackTakenMessage({ ...stack, owner: undefined }) };
    const name = await this.access.nameOf(
      owner ? [stack.owner, owner] : [stack.owner],
    );
    return {
      owner: stack.owner,
      reason: stackTakenMessage(stack, owner, name),
    };
  }
}
