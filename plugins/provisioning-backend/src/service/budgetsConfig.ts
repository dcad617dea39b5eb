import type { Config } from '@backstage/config';
import { budgetLimitsSchema } from '@konductor/plugin-provisioning-common';
import type { ConfiguredBudget } from './TeamBudgets';

const configuredSchema = budgetLimitsSchema.partial({ owner: true }).extend({
  monthlyCost: budgetLimitsSchema.shape.monthlyCost.unwrap().optional(),
  stacks: budgetLimitsSchema.shape.stacks.unwrap().optional(),
});

/** `konductor.provisioning.budgets`, checked: a bad entry stops the backend, saying which. */
export function budgetsFromConfig(config: Config): ConfiguredBudget[] {
  const entries =
    config.getOptionalConfigArray('konductor.provisioning.budgets') ?? [];
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const where = `konductor.provisioning.budgets[${i}]`;
    const parsed = configuredSchema.safeParse(entry.get());
    if (!parsed.success)
      throw new Error(
        `${where}: ${parsed.error.issues
          .map(issue => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ')}`,
      );
    const { owner, environment, monthlyCost, stacks } = parsed.data;
    const key = `${owner ?? '*'} ${environment}`;
    if (seen.has(key))
      throw new Error(
        `${where}: a second entry for ${
          owner ?? 'every group'
        } in ${environment}; keep one`,
      );
    seen.add(key);
    return {
      ...(owner ? { owner } : {}),
      environment,
      monthlyCost: monthlyCost ?? null,
      stacks: stacks ?? null,
    };
  });
}
