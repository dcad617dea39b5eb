import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  BUILT_IN_KINDS,
  ENVIRONMENTS,
  ProvisioningClient,
  ResourceKinds,
  parseStackSpec,
  planStack,
  provisioningStackDestroyPermission,
  runIdFor,
  stackSpecSchema,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProviders,
  Names,
  ProvisioningReporter,
  destroyStack,
} from '@konductor/plugin-provisioning-node';
import { examples } from './stackDestroy.examples';
import { reportingRun } from './runReporting';
import { existingStackOf } from './stackLocation';
import { provisioningRefusal } from './stackPolicy';
import { authorizedStack } from './stackAuthorization';
import { awaitApproval } from './stackApproval';
import { withStackLease } from './stackLease';

/**
 * `konductor:stack:destroy`: deletes every resource of a stack in reverse dependency order, when
 * the task's user may destroy it (`provisioning.stack.destroy`: its owner's members and admins by
 * default). Resources are found by the stack's deterministic names and tags, and only those
 * tagged with the stack's recorded owner are deleted; what is already gone counts as deleted.
 * Once nothing is left, the stack's name is released.
 */
export function createStackDestroyAction(options: {
  /** The cloud providers: a stack is looked for with the one its target names. */
  providers: CloudProviders;
  /** The provisioning backend as the task's user: whose the stack is, and releasing its name. */
  stacks: (credentials: BackstageCredentials) => ProvisioningClient;
  /**
   * The provisioning backend as this platform's service: the stack's lease (one run at a time),
   * releasing the name of the destroyed stack, and the state of the run's approval request.
   */
  platform: Pick<
    ProvisioningClient,
    'acquireStackLease' | 'releaseStackLease' | 'releaseStack' | 'getApproval'
  >;
  /** The permission framework, asked whether the task's user may destroy the stack. */
  permissions: PermissionsService;
  /** Records the destruction as a run, like a provisioning (the catalog then drops the stack). */
  reporter?: ProvisioningReporter;
  /** Names for its refusal and approval messages, as the catalog presents them; default refs. */
  names?: Names;
}) {
  return createTemplateAction({
    id: 'konductor:stack:destroy',
    description:
      "Deletes every resource of a stack (app, secrets, cluster, database, network) in reverse dependency order, when the task's user may destroy it (its owner group's members and platform admins by default). Only resources tagged with the stack's recorded owner are deleted, deletion protection is never switched off (a protected database stays, and the task fails saying so), and the name is released when nothing is left. Idempotent: resources already gone count as deleted.",
    examples,
    schema: {
      input: {
        name: z => z.string().describe('The stack name given at provisioning.'),
        environment: z =>
          z.enum(ENVIRONMENTS).describe('dev, staging or prod.'),
        target: () =>
          stackSpecSchema.shape.target.describe(
            'Where the stack is: its cloud provider (aws), account and region, as given at provisioning.',
          ),
        aws: () => stackSpecSchema.shape.aws,
        resources: z =>
          z
            .record(z.string())
            .optional()
            .describe(
              'Further resources to look for, name -> kind, such as { "orders-db": "database" }. Those the stack\'s runs recorded, and one named after each built-in kind, are always looked for.',
            ),
      },
      output: {
        deleted: z =>
          z
            .array(z.string())
            .describe('The resources deleted, in the order they were.'),
      },
    },
    async handler(ctx) {
      const { name, provider, target, key } = await existingStackOf(
        ctx,
        options.providers,
      );
      // Whose the stack is and whether the user may destroy it; what the stack's runs recorded
      // of it is read then too, as the same user.
      const { resources: recordedResources, ...stack } = await authorizedStack(
        ctx,
        options,
        {
          key,
          step: 'destroy-authorization',
          permission: provisioningStackDestroyPermission,
          refusal: (recorded, nameOf) =>
            `You may not destroy stack ${
              recorded.stackId
            }: it belongs to ${nameOf(
              recorded.owner,
            )}, and only its members or a platform admin may`,
          more: async client => ({
            resources: await resourcesOfRuns(client, key),
          }),
        },
      );
      const spec = parseStackSpec(
        {
          name,
          environment: ctx.input.environment,
          owner: stack.owner,
          target,
          resources: destroyedResources(
            { ...recordedResources, ...ctx.input.resources },
            provider.kinds,
          ),
        },
        provider.kinds,
        { relations: false, target: provider.target },
      );
      const removal = planStack(spec, provider.kinds);
      // A destroy the platform's rules send to approval waits for it here, holding no worker.
      await awaitApproval(ctx, options, {
        operation: 'destroy',
        ...key,
        environment: spec.environment,
        owner: stack.owner,
        monthlyCost: 0,
        summary: [
          `Deletes, if they exist: ${removal.resources
            .map(r => `${r.id} (${r.kind})`)
            .reverse()
            .join(', ')}`,
        ],
      });
      const { run, onEvent } = reportingRun(
        ctx,
        spec,
        removal.resources.map(r => ({
          resource: r.id,
          kind: r.kind,
          dependsOn: r.dependsOn,
          typicalCreateSeconds: r.typicalCreateSeconds,
          catalogType: r.catalogType,
        })),
        options.reporter,
        'destroy',
      );
      const runId = runIdFor(run.taskId, run.stackId);
      // Destroyed, then the name freed, each once: a task resumed after either finds it done.
      const deleted = (await ctx.checkpoint({
        key: `konductor.stack.${key.stackId}.destroyed`,
        fn: async () => {
          try {
            return await withStackLease(
              {
                leases: options.platform,
                stack: key,
                holder: runId,
                logger: ctx.logger,
                signal: ctx.signal ?? new AbortController().signal,
              },
              signal =>
                destroyStack({
                  spec,
                  runId,
                  provider,
                  signal,
                  onEvent,
                }),
            );
          } finally {
            await options.reporter?.flush(run);
          }
        },
      })) as string[];
      // Destroyed as authorized above: the platform frees the name.
      await ctx.checkpoint({
        key: `konductor.stack.${key.stackId}.released`,
        fn: () =>
          options.platform
            .releaseStack(key)
            .catch(e => Promise.reject(provisioningRefusal(e))),
      });
      ctx.logger.info(
        `Stack ${stack.stackId} is destroyed; its name is free again`,
      );
      ctx.output('deleted', deleted);
    },
  });
}

/** Fields a removal never reads, for the built-in kinds whose schema has no default for them. */
const REMOVAL_PLACEHOLDERS: Record<string, Record<string, unknown>> = {
  network: { cidr: '10.0.0.0/16' },
  app: { image: 'any' },
};

/** Every resource (name -> kind) the stack's runs recorded. */
async function resourcesOfRuns(
  client: ProvisioningClient,
  key: { accountId: string; region: string; stackId: string },
): Promise<Record<string, string>> {
  const resources: Record<string, string> = {};
  for (let offset = 0; ; offset += 100) {
    const page = await client.listRuns({ ...key, limit: 100, offset });
    for (const run of page.items.reverse())
      for (const r of (await client.getRun(run.id)).resources)
        resources[r.resource] = r.kind;
    if (offset + page.items.length >= page.totalCount || !page.items.length)
      return resources;
  }
}

/**
 * The resources a destroy looks for: those the stack's runs recorded and the task lists (name ->
 * kind), and one named after each built-in kind the provider has, so nothing of a stack recorded
 * before resources had kinds is left.
 */
function destroyedResources(
  named: Record<string, string>,
  kinds: ResourceKinds,
): Record<string, Record<string, unknown>> {
  const fields = (kind: string) => REMOVAL_PLACEHOLDERS[kind] ?? {};
  const resources: Record<string, Record<string, unknown>> = {};
  for (const kind of BUILT_IN_KINDS.filter(k => kinds.get(k)))
    resources[kind] = fields(kind);
  // A kind no module registers any more is refused by the spec's validation, saying which.
  for (const [name, kind] of Object.entries(named))
    resources[name] = { kind, ...fields(kind) };
  return resources;
}
