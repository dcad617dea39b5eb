import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CustomErrorBase, NotAllowedError } from '@backstage/errors';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  approvalWaitMessage,
  type ApprovalOpenRequest,
  type ApprovalOpenResult,
  type ProvisioningClient,
} from '@konductor/plugin-provisioning-common';
import { refsOnly, type Names } from '@konductor/plugin-provisioning-node';
import { provisioningRefusal, toCheckpoint } from './stackPolicy';

/** The run waits for a person's approval: its task ends here and is resumed once approved. */
export class ApprovalPendingError extends CustomErrorBase {
  name = 'ApprovalPendingError' as const;
}

/**
 * The platform's approval gate of a stack run, after the run has claimed or authorized its stack
 * (as the user) and before anything is created, changed or destroyed. The request is opened as
 * the user once (a checkpoint: a resumed task does not ask again, whoever its credentials are
 * now), then read as the platform: approved, the run goes on; waiting, the task ends with why and
 * who may approve, holding no worker (the approval resumes it from its checkpoints); rejected or
 * expired, the run is refused with the decision.
 */
export async function awaitApproval(
  ctx: Pick<
    ActionContext<any, any, any>,
    'checkpoint' | 'getInitiatorCredentials' | 'logger' | 'task' | 'user'
  >,
  options: {
    stacks: (credentials: BackstageCredentials) => ProvisioningClient;
    platform: Pick<ProvisioningClient, 'getApproval'>;
    /** People's and teams' names for the messages, as the catalog presents them; else refs. */
    names?: Names;
  },
  request: Omit<ApprovalOpenRequest, 'taskId' | 'requestedBy'>,
): Promise<void> {
  const opened = (await ctx.checkpoint({
    key: `konductor.stack.${request.stackId}.${request.operation}.approval`,
    fn: async () =>
      toCheckpoint(
        await options
          .stacks(await ctx.getInitiatorCredentials())
          .openApproval({
            ...request,
            taskId: ctx.task.id,
            ...(ctx.user?.ref ? { requestedBy: ctx.user.ref } : {}),
          })
          .catch(e => Promise.reject(provisioningRefusal(e))),
      ),
  })) as unknown as ApprovalOpenResult;
  if (!opened.required) return;
  const current = await options.platform
    .getApproval(opened.request.id)
    .catch(e => Promise.reject(provisioningRefusal(e)));
  const said = current.comment ? `: ${current.comment}` : '';
  const name = await (options.names ?? refsOnly)([
    ...current.approvers,
    ...(current.decidedBy ? [current.decidedBy] : []),
  ]);
  const by = name(current.decidedBy ?? 'someone');
  switch (current.state) {
    case 'approved':
      ctx.logger.info(`Approved by ${by} at ${current.decidedAt}${said}`);
      return;
    case 'rejected':
      throw new NotAllowedError(
        `Rejected by ${by} at ${current.decidedAt}${said}; nothing was created or changed`,
      );
    case 'withdrawn':
      throw new NotAllowedError(
        `Withdrawn by ${by} at ${current.decidedAt}; nothing was created or changed: start a new run to ask again`,
      );
    case 'expired':
      throw new NotAllowedError(
        `The approval request expired at ${current.expiresAt} undecided; nothing was created or changed: start a new run to ask again`,
      );
    default:
      ctx.logger.info(approvalWaitMessage(current, 'text', name));
      throw new ApprovalPendingError(
        approvalWaitMessage(current, 'markdown', name),
      );
  }
}
