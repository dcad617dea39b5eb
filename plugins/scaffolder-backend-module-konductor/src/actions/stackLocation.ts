import { InputError } from '@backstage/errors';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  type ENVIRONMENTS,
  type StackTarget,
  sanitizeName,
  stackIdFor,
  stackTargetOf,
} from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  CloudProviders,
} from '@konductor/plugin-provisioning-node';

/**
 * Pins where a task's stack of this id is: the first step that works on it records its account
 * and region, and a later step of the same task that names the same stack elsewhere is refused.
 * A task's checkpoints (the ownership claim, the destroy authorization, each resource) and its
 * run are keyed by the stack's id, so a second place would inherit the first's checks and
 * outputs instead of being checked itself.
 */
export async function pinStackLocation(
  ctx: Pick<ActionContext<any, any, any>, 'checkpoint'>,
  stackId: string,
  target: { accountId: string; region: string },
): Promise<void> {
  const pinned = await ctx.checkpoint({
    key: `konductor.stack.${stackId}.location`,
    fn: async () => ({ accountId: target.accountId, region: target.region }),
  });
  if (pinned.accountId !== target.accountId || pinned.region !== target.region)
    throw new InputError(
      `This task already works on stack ${stackId} in account ${pinned.accountId}, ${pinned.region}, so it cannot also work on it in ${target.accountId}, ${target.region}: a task handles a stack name in one place. Give this step's stack another name or environment, or use a second task`,
    );
}

/**
 * The existing stack a day-2 step names (`name`, `environment`, `target`): its provider, its
 * target as that provider reads it and its key, pinned for the task; refused, saying what to
 * change, when the name or the place is not one a stack can have.
 */
export async function existingStackOf(
  ctx: Pick<ActionContext<any, any, any>, 'checkpoint'> & {
    input: {
      name: string;
      environment: (typeof ENVIRONMENTS)[number];
    };
  },
  providers: CloudProviders,
): Promise<{
  name: string;
  provider: CloudProvider;
  target: StackTarget;
  key: { accountId: string; region: string; stackId: string };
}> {
  const name = sanitizeName(ctx.input.name);
  if (!name)
    throw new InputError(
      `name: "${ctx.input.name}" is not a stack name: use lower-case letters, digits and dashes`,
    );
  const provider = providers.of(ctx.input);
  const target = provider.target.safeParse(stackTargetOf(ctx.input));
  if (!target.success)
    throw new InputError(
      `target: ${
        target.error.issues
          .map(i => [i.path.join('.'), i.message].filter(Boolean).join(': '))
          .join('; ') || 'say where the stack is'
      }: give the provider, account and region the stack was provisioned in`,
    );
  const key = {
    accountId: target.data.accountId,
    region: target.data.region,
    stackId: stackIdFor(name, ctx.input.environment),
  };
  await pinStackLocation(ctx, key.stackId, key);
  return { name, provider, target: target.data, key };
}
