import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ENVIRONMENTS,
  ProvisioningClient,
  parseStackSpec,
  provisioningStackUpdatePermission,
  runIdFor,
  stackSpecSchema,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProviders,
  rollbackApp,
  type Names,
} from '@konductor/plugin-provisioning-node';
import { examples } from './appRollback.examples';
import { existingStackOf } from './stackLocation';
import { toCheckpoint } from './stackPolicy';
import { authorizedStack } from './stackAuthorization';
import { withStackLease } from './stackLease';

/**
 * `konductor:app:rollback`: returns a stack's app to a revision Argo CD delivered it at, when the
 * task's user may change the stack (`provisioning.stack.update`: its owner's members and admins
 * by default). What git held at that revision is committed again as the newest, so git stays what
 * runs, and the task follows Argo CD until the app is healthy. Nothing else of the stack changes.
 */
export function createAppRollbackAction(options: {
  providers: CloudProviders;
  /** The provisioning backend as the task's user: whose the stack is. */
  stacks: (credentials: BackstageCredentials) => ProvisioningClient;
  /** The provisioning backend as this platform's service: the stack's lease (one run at a time). */
  platform: Pick<ProvisioningClient, 'acquireStackLease' | 'releaseStackLease'>;
  permissions: PermissionsService;
  /** Names for the refusal, as the catalog presents them; default the refs. */
  names?: Names;
}) {
  return createTemplateAction({
    id: 'konductor:app:rollback',
    description:
      "Returns a stack's app to a revision Argo CD delivered it at (apps delivered through git), when the task's user may change the stack (its owner group's members and platform admins by default): what git held then is committed again as the newest revision and followed until Argo CD reports the app healthy. A revision Argo CD never delivered is refused, naming the ones it did.",
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
        revision: z =>
          z
            .string()
            .regex(
              /^[0-9a-fA-F]{7,40}$/,
              'a commit: 7 to 40 hexadecimal digits',
            )
            .describe(
              "The GitOps commit to return to: one the app was delivered at (its run page's app.revision), in full or its first 7 digits or more.",
            ),
      },
      output: {
        revision: z =>
          z
            .string()
            .describe(
              'The new commit, holding what the chosen revision held, that Argo CD synced.',
            ),
      },
    },
    async handler(ctx) {
      const { name, provider, target, key } = await existingStackOf(
        ctx,
        options.providers,
      );
      // Whose the stack is and whether the user may change it.
      const stack = await authorizedStack(ctx, options, {
        key,
        step: 'rollback-authorization',
        permission: provisioningStackUpdatePermission,
        refusal: (recorded, nameOf) =>
          `You may not roll back stack ${
            recorded.stackId
          }: it belongs to ${nameOf(
            recorded.owner,
          )}, and only its members or a platform admin may change it`,
      });
      const spec = parseStackSpec(
        {
          name,
          environment: ctx.input.environment,
          owner: stack.owner,
          target,
          // A rollback reads nothing of the app's fields: git holds what it returns to.
          resources: { app: { kind: 'app', image: 'any' } },
        },
        provider.kinds,
        { relations: false, target: provider.target },
      );
      const runId = runIdFor(ctx.task.id, key.stackId);
      const outputs = await ctx.checkpoint({
        key: `konductor.stack.${key.stackId}.rolled-back`,
        fn: () =>
          withStackLease(
            {
              leases: options.platform,
              stack: key,
              holder: runId,
              logger: ctx.logger,
              signal: ctx.signal ?? new AbortController().signal,
            },
            signal =>
              rollbackApp({
                spec,
                provider,
                runId,
                revision: ctx.input.revision,
                signal,
                onEvent: event =>
                  event.status === 'failed' || event.status === 'run-failed'
                    ? ctx.logger.error(event.message)
                    : ctx.logger.info(event.message),
              }).then(toCheckpoint),
          ),
      });
      ctx.output('revision', String(outputs.revision));
    },
  });
}
