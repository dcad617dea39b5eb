import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import type {
  ProvisioningClient,
  ProvisioningStack,
} from '@konductor/plugin-provisioning-common';
import {
  refsOnly,
  type NameOf,
  type Names,
} from '@konductor/plugin-provisioning-node';
import { provisioningRefusal, toCheckpoint } from './stackPolicy';

/**
 * The recorded stack `key` and whether the task's user may act on it (`permission`), asked as the
 * user once: a checkpoint (`step` names it), so a task resumed after the user's token expired does
 * not ask again. `refusal` says why not, naming the owner as the catalog presents it (`names`);
 * `more` reads, as the same user and in the same checkpoint, what else the action needs of the
 * stack.
 */
export async function authorizedStack<T extends object = {}>(
  ctx: Pick<
    ActionContext<any, any, any>,
    'checkpoint' | 'getInitiatorCredentials'
  >,
  options: {
    stacks: (credentials: BackstageCredentials) => ProvisioningClient;
    permissions: PermissionsService;
    names?: Names;
  },
  request: {
    key: { accountId: string; region: string; stackId: string };
    step: string;
    permission: ResourcePermission<'provisioning-stack'>;
    refusal: (stack: ProvisioningStack, name: NameOf) => string;
    more?: (client: ProvisioningClient) => Promise<T>;
  },
): Promise<ProvisioningStack & T> {
  const { key } = request;
  return (await ctx.checkpoint({
    key: `konductor.stack.${key.stackId}.${request.step}`,
    fn: async () => {
      const credentials = await ctx.getInitiatorCredentials();
      const client = options.stacks(credentials);
      const recorded = await client
        .getStack(key)
        .catch(e => Promise.reject(provisioningRefusal(e)));
      const [decision] = await options.permissions.authorize(
        [{ permission: request.permission, resourceRef: recorded.ref }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW)
        throw new NotAllowedError(
          request.refusal(
            recorded,
            await (options.names ?? refsOnly)([recorded.owner]),
          ),
        );
      return toCheckpoint({
        ...recorded,
        ...(await request.more?.(client)),
      });
    },
  })) as unknown as ProvisioningStack & T;
}
