import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ProvisioningClient } from '@konductor/plugin-provisioning-common';
import { refsOnly, type Names } from '@konductor/plugin-provisioning-node';
import { examples } from './stackOutputs.examples';

/** Resource statuses whose outputs describe something that exists. */
const USABLE = new Set(['ready', 'retained']);

/** The stack id of `konductor-stack-id` or `system:default/<stack id>` (the catalog's System). */
function stackIdOf(stack: string): string {
  if (!stack.includes(':')) return stack;
  const ref = parseEntityRef(stack);
  if (ref.kind.toLocaleLowerCase('en-US') !== 'system')
    throw new InputError(
      `stack: "${stack}" is not a stack: give a stack id such as shop-dev or its System, such as system:default/shop-dev`,
    );
  return ref.name;
}

/**
 * `konductor:stack:outputs`: the outputs of an existing stack's resources (ids, endpoints, ARNs;
 * never secret values), from its latest run, read as the user who started the task, who must
 * hold `provisioning.stack.outputs.read` on the stack (its owner's members and admins by
 * default). This is how a service definition uses what one of its dependencies provisioned.
 */
export function createStackOutputsAction(options: {
  /** A client of the provisioning backend whose token comes from the call's credentials. */
  client: (credentials: BackstageCredentials) => ProvisioningClient;
  /** Names for the refusal, as the catalog presents them; default the refs. */
  names?: Names;
}) {
  return createTemplateAction({
    id: 'konductor:stack:outputs',
    description:
      "Reads the outputs of an existing stack's resources (such as network.vpcId or database.endpoint) from its latest provisioning run.",
    examples,
    schema: {
      input: {
        stack: z =>
          z
            .string()
            .min(1)
            .describe(
              'The stack: its id (name-environment, such as shop-dev) or its System entity ref.',
            ),
      },
      output: {
        stackId: z => z.string(),
        runId: z => z.string().describe('The run the outputs are from.'),
        outputs: z =>
          z
            .record(z.record(z.unknown()))
            .describe('Outputs per resource: outputs.network.vpcId, ...'),
      },
    },
    // It only reads: the form's stack summary (a dry-run) resolves dependencies with it.
    supportsDryRun: true,
    async handler(ctx) {
      const stackId = stackIdOf(ctx.input.stack);
      // Read as the user once: a task resumed after a crash, maybe after the user's token
      // expired, uses what was read.
      const { runId, outputs } = (await ctx.checkpoint({
        key: `konductor.stack-outputs.${stackId}`,
        fn: async () => {
          const client = options.client(await ctx.getInitiatorCredentials());
          const { items } = await client.listRuns({ stackId, limit: 1 });
          if (!items.length)
            throw new InputError(
              `stack: no stack "${stackId}" has been provisioned (or you may not read it): choose an existing stack`,
            );
          const latest = items[0];
          if (latest.status === 'running')
            throw new InputError(
              `stack: "${stackId}" is being provisioned (run ${latest.id}): wait for the run to finish, then try again`,
            );
          const { resources, outputsHidden } = await client.getRun(latest.id);
          if (outputsHidden) {
            const { owner } = latest;
            const name = await (options.names ?? refsOnly)(
              owner ? [owner] : [],
            );
            throw new NotAllowedError(
              `stack: you may not read the outputs of "${stackId}": it belongs to ${
                owner ? name(owner) : 'another group'
              }, and only its members or a platform admin may`,
            );
          }
          const usable: Record<string, Record<string, unknown>> = {};
          for (const r of resources)
            if (USABLE.has(r.status)) usable[r.resource] = r.outputs ?? {};
          if (!Object.keys(usable).length)
            throw new InputError(
              `stack: "${stackId}" has no resources left (its latest run ${latest.id} ${latest.status}): choose another stack or provision it again`,
            );
          // Plain records of this realm: the scaffolder's template engine accepts nothing else (a
          // fetch response's JSON can come from another realm, as under Jest).
          return JSON.parse(
            JSON.stringify({ runId: latest.id, outputs: usable }),
          );
        },
      })) as {
        runId: string;
        outputs: Record<string, Record<string, unknown>>;
      };
      ctx.logger.info(
        `Outputs of ${stackId} (run ${runId}): ${Object.entries(outputs)
          .map(([resource, o]) => `${resource}: ${Object.keys(o).join(', ')}`)
          .join('; ')}`,
      );
      ctx.output('stackId', stackId);
      ctx.output('runId', runId);
      ctx.output('outputs', outputs);
    },
  });
}
