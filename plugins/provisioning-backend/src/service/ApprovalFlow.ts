import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { ApprovalRequest } from '@konductor/plugin-provisioning-common';
import type { Approvals } from './Approvals';
import type { TaskState } from './RunReconciler';
import type { NameOf, Names } from '@konductor/plugin-provisioning-node';
import { approvalsInbox, usd } from '@konductor/plugin-provisioning-common';

const what = (r: ApprovalRequest, name: NameOf) =>
  `${r.operation === 'provision' ? 'New stack' : `The ${r.operation} of`} ${
    r.stackId
  } (${r.environment}, ${name(r.owner)}, ${usd(r.monthlyCost)}/month)`;

/**
 * What follows a request's changes of state: its approvers are told a request waits; its
 * requester is told how it was decided or that it expired; an approved request's task is
 * resumed (by the decision, or by the sweep when that could not: a task still ending, a restart).
 */
export class ApprovalFlow {
  constructor(
    private readonly options: {
      approvals: Approvals;
      notifications: NotificationService;
      logger: LoggerService;
      taskState(taskId: string): Promise<TaskState>;
      retryTask(taskId: string): Promise<void>;
      /** People's and teams' names for the texts, as the catalog presents them. */
      names: Names;
    },
  ) {}

  async opened(request: ApprovalRequest): Promise<void> {
    const name = await this.namesIn(request);
    await this.options.notifications.send({
      recipients: { type: 'entity', entityRef: request.approvers },
      payload: {
        title: `Approval needed: ${what(request, name)}`,
        description: `${name(request.requestedBy)} asks: ${request.reasons.join(
          '; ',
        )}. It expires at ${request.expiresAt}.`,
        link: approvalsInbox.path,
        severity: 'high',
        topic: 'provisioning-approval',
      },
    });
  }

  async decided(request: ApprovalRequest): Promise<void> {
    const approved = request.state === 'approved';
    const name = await this.namesIn(request);
    const by = name(request.decidedBy ?? 'someone');
    await this.tell(
      request,
      approved
        ? `Approved by ${by}: ${what(request, name)} runs now`
        : `Rejected by ${by}: ${what(request, name)}`,
      request.comment ?? (approved ? '' : 'No reason given.'),
    );
    if (approved) await this.resume(request);
  }

  /** Its approvers are told a request they were asked to decide no longer waits. */
  async withdrawn(request: ApprovalRequest): Promise<void> {
    const name = await this.namesIn(request);
    await this.options.notifications.send({
      recipients: { type: 'entity', entityRef: request.approvers },
      payload: {
        title: `Withdrawn by ${name(request.decidedBy ?? 'someone')}: ${what(
          request,
          name,
        )}`,
        description:
          'Nothing was created or changed; there is nothing to decide.',
        link: approvalsInbox.path,
        severity: 'low',
        topic: 'provisioning-approval',
      },
    });
  }

  /** Expires requests past their time (telling their requesters) and resumes approved ones. */
  async sweep(): Promise<void> {
    for (const request of await this.options.approvals.expireDue())
      await this.tell(
        request,
        `Expired undecided: ${what(request, await this.namesIn(request))}`,
        'Nobody decided it in time; nothing was created or changed. Start the run again to ask again.',
      );
    for (const request of await this.options.approvals.awaitingResume())
      await this.resume(request);
  }

  /** The names of the people and team a request's texts name. */
  private namesIn(request: ApprovalRequest): Promise<NameOf> {
    return this.options.names(
      [request.owner, request.requestedBy, request.decidedBy].filter(
        (ref): ref is string => !!ref,
      ),
    );
  }

  private async tell(request: ApprovalRequest, title: string, text: string) {
    await this.options.notifications.send({
      recipients: { type: 'entity', entityRef: request.requestedBy },
      payload: {
        title,
        description: text,
        link: `/create/tasks/${request.taskId}`,
        severity: 'normal',
        topic: 'provisioning-approval',
      },
    });
  }

  /**
   * Resumes the approved request's task once: a task that ended waiting is retried (from its
   * checkpoints); one still running is left to a later sweep; one cancelled or gone is not.
   */
  private async resume(request: ApprovalRequest): Promise<void> {
    const { logger } = this.options;
    try {
      const state = await this.options.taskState(request.taskId);
      if (state === 'open' || state === 'processing') return;
      // A task ended waiting has failed; one its user cancelled stays cancelled.
      if (state === 'failed') await this.options.retryTask(request.taskId);
      else
        logger.warn(
          `Approval ${request.id}: task ${request.taskId} is ${state}, nothing to resume`,
        );
      if (await this.options.approvals.markResumed(request.id))
        logger.info(
          `Approval ${request.id} by ${request.decidedBy}: task ${request.taskId} resumed`,
        );
    } catch (e) {
      logger.warn(
        `Approval ${request.id}: task ${request.taskId} not resumed yet (${e}); the next sweep tries again`,
      );
    }
  }
}
