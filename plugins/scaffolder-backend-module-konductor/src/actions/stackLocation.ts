import { InputError } from '@backstage/errors';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';

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
