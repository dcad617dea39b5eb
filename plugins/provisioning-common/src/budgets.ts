import { z } from 'zod/v3';
import { createPermission } from '@backstage/plugin-permission-common';
import { ENVIRONMENTS } from './stackSpec';
import { usd } from './prices';

/**
 * A group's limits in one environment: a monthly cost budget in USD and a quota of stacks. A limit
 * left out (null) is no limit. Set in config (`konductor.budgets`) and by admins in the portal,
 * whose setting wins for its group and environment.
 */
export const budgetLimitsSchema = z
  .object({
    owner: z
      .string()
      .regex(
        /^group:[^/\s]+\/[^\s]+$/,
        'must be a group entity ref such as group:default/team-a',
      ),
    environment: z.enum(ENVIRONMENTS),
    monthlyCost: z
      .number()
      .min(0, 'must be a number of US dollars, 0 or more')
      .max(10_000_000, 'must be at most 10,000,000 US dollars')
      .nullable(),
    stacks: z
      .number()
      .int('must be a whole number of stacks')
      .min(0, 'must be 0 or more')
      .max(100_000, 'must be at most 100,000')
      .nullable(),
  })
  .strict();
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

/** Query of `DELETE /budgets`: the portal's setting withdrawn, back to config's. */
export const budgetKeySchema = budgetLimitsSchema
  .pick({ owner: true, environment: true })
  .strict();

/** A group's budget in an environment with what its stacks commit (`GET /budgets`). */
export interface TeamBudget extends BudgetLimits {
  /** Where the limits come from: an admin's setting in the portal, config, or none (no limit). */
  source: 'portal' | 'config' | 'none';
  updatedBy?: string;
  updatedAt?: string;
  /** Monthly cost of the group's stacks there: their desired states, or a running run's plan. */
  committed: number;
  /** How many stacks the group has there. */
  stackCount: number;
}

/** A request's place in its group's budget: what it adds and, when over, why it is refused. */
export interface BudgetStanding {
  budget: TeamBudget;
  /** What the request adds to the group's monthly cost (negative when it lowers it). */
  adds: number;
  /** Whether it adds a stack (one that does not exist yet). */
  newStack: boolean;
  /** Why the request is refused, with the numbers, when it would go over the budget or quota. */
  refusal?: string;
}

/**
 * Why a request adding `adds` (and maybe a stack) goes over `budget`, if it does. `name` gives
 * the group's name (its ref without it).
 */
export function budgetRefusal(
  budget: TeamBudget,
  adds: number,
  newStack: boolean,
  name: (ref: string) => string = ref => ref,
): string | undefined {
  const where = `${name(budget.owner)} in ${budget.environment}`;
  if (newStack && budget.stacks !== null && budget.stackCount >= budget.stacks)
    return `Over quota: ${where} may have ${budget.stacks} stack${
      budget.stacks === 1 ? '' : 's'
    } and has ${
      budget.stackCount
    }: destroy one, or ask a platform admin to raise the quota`;
  const after = Math.round((budget.committed + adds) * 100) / 100;
  if (budget.monthlyCost !== null && adds > 0 && after > budget.monthlyCost)
    return `Over budget: ${where} has a budget of ${usd(
      budget.monthlyCost,
    )}/month; its stacks commit ${usd(
      budget.committed,
    )} and this request adds ${usd(adds)}, ${usd(
      after - budget.monthlyCost,
    )} over: choose smaller resources, destroy a stack, or ask a platform admin to raise the budget`;
  return undefined;
}

/** Setting and withdrawing groups' budgets and quotas in the portal (admins). */
export const provisioningBudgetUpdatePermission = createPermission({
  name: 'provisioning.budget.update',
  attributes: { action: 'update' },
});
