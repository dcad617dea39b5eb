import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ENVIRONMENTS,
  dependenciesOf,
  sanitizeName,
  stackSpecSchema,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProvider,
  ProvisioningReporter,
  destroyStack,
} from '@konductor/plugin-provisioning-node';
import { examples } from './stackDestroy.examples';
import { reportingRun } from './runReporting';

/**
 * `konductor:stack:destroy`: deletes every resource of a stack in reverse dependency order.
 * Resources are found by the stack's deterministic names and tags, so the action needs only the
 * stack's identity; what is already gone counts as deleted.
 */
export function createStackDestroyAction(options: {
  provider: CloudProvider;
  /** Records the destruction as a run, like a provisioning (the catalog then drops the stack). */
  reporter?: ProvisioningReporter;
}) {
  return createTemplateAction({
    id: 'konductor:stack:destroy',
    description:
      'Deletes every resource of a stack (app, secrets, cluster, database, network) in reverse dependency order. Idempotent: resources already gone count as deleted.',
    examples,
    schema: {
      input: {
        name: z => z.string().describe('The stack name given at provisioning.'),
        environment: z =>
          z.enum(ENVIRONMENTS).describe('dev, staging or prod.'),
        aws: z =>
          z
            .object({
              accountId: z.string().regex(/^\d{12}$/),
              region: z.string(),
            })
            .describe('The AWS account and region of the stack.'),
      },
      output: {
        deleted: z =>
          z
            .array(z.string())
            .describe('The resources deleted, in the order they were.'),
      },
    },
    async handler(ctx) {
      const name = sanitizeName(ctx.input.name);
      if (!name)
        throw new InputError(
          `name: "${ctx.input.name}" is not a stack name: use lower-case letters, digits and dashes`,
        );
      // Every kind, so nothing of the stack is left whatever it was provisioned with.
      const spec = stackSpecSchema.parse({
        name,
        environment: ctx.input.environment,
        aws: ctx.input.aws,
        resources: {
          network: { cidr: '10.0.0.0/16' },
          database: {},
          secrets: {},
          cluster: {},
          app: { image: 'any' },
        },
      });
      const { run, onEvent } = reportingRun(
        ctx,
        spec,
        topologicalOrder(spec).map(resource => ({
          resource,
          dependsOn: dependenciesOf(spec, resource),
        })),
        options.reporter,
      );
      let deleted;
      try {
        deleted = await destroyStack({
          spec,
          provider: options.provider,
          signal: ctx.signal,
          onEvent,
        });
      } finally {
        await options.reporter?.flush(run);
      }
      ctx.output('deleted', deleted);
    },
  });
}
