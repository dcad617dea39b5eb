import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  EXPIRY_NOTICES,
  runIdFor,
} from '@konductor/plugin-provisioning-common';
import type { ExpiringStack, StackStore } from './StackStore';

/** What one sweep did: the notices sent and the destroy runs started, by stack ref. */
export interface ExpirySweep {
  noticed: { stack: string; notice: string }[];
  destroying: { stack: string; taskId: string }[];
}

/** The longest notice: stacks further from their expiry than this are not looked at. */
const HORIZON_MS = Math.max(...EXPIRY_NOTICES.map(n => n.beforeMs));

/**
 * Expiry of dev and staging stacks: tells a stack's owners a day and an hour before it expires
 * (Backstage notifications), and at its expiry starts its destroy run, a task of the destroy
 * template as *Destroy* starts it, so it has its live page and every rule of a destroy (deletion
 * protection respected, only what the stack's owner has deleted). One replica sweeps at a time.
 */
export class StackExpiry {
  constructor(
    private readonly options: {
      stacks: StackStore;
      notifications: NotificationService;
      /** Starts a scaffolder task. */
      startTask: (templateRef: string, values: object) => Promise<string>;
      /** The destroy template (default `template:default/destroy-stack`). */
      destroyTemplate: string;
      logger: LoggerService;
    },
  ) {}

  async sweep(now = new Date()): Promise<ExpirySweep> {
    const done: ExpirySweep = { noticed: [], destroying: [] };
    const due = await this.options.stacks.expiring(
      new Date(now.getTime() + HORIZON_MS),
    );
    for (const stack of due) {
      try {
        if (new Date(stack.expiresAt) <= now) {
          const taskId = await this.destroy(stack);
          done.destroying.push({ stack: stack.ref, taskId });
        } else {
          const notice = await this.notice(stack, now);
          if (notice) done.noticed.push({ stack: stack.ref, notice });
        }
      } catch (e) {
        // One stack's failure (the scaffolder down, a notification refused) never stops the
        // others; the next sweep tries it again.
        this.options.logger.warn(
          `Expiry of stack ${stack.ref} not handled: ${(e as Error).message}`,
        );
      }
    }
    return done;
  }

  /**
   * Sends the stack the one notice it is due, if any: the shortest of those whose time has come
   * (a stack given an expiry 30 minutes ahead is told once, "in 30 minutes", not twice).
   */
  private async notice(stack: ExpiringStack, now: Date) {
    const leftMs = new Date(stack.expiresAt).getTime() - now.getTime();
    const reached = EXPIRY_NOTICES.filter(n => leftMs <= n.beforeMs);
    const notice = reached[reached.length - 1];
    const sentIndex = EXPIRY_NOTICES.findIndex(
      n => n.id === stack.expiryNotice,
    );
    if (!notice || EXPIRY_NOTICES.indexOf(notice) <= sentIndex)
      return undefined;
    if (
      !(await this.options.stacks.markExpiryNotice(
        stack,
        stack.expiryNotice,
        notice.id,
      ))
    )
      return undefined;
    await this.notify(stack, {
      title: `Stack ${stack.stackId} expires in ${inWords(leftMs)}`,
      description: `At ${stack.expiresAt} the platform destroys every resource of ${stack.stackId} (${stack.environment}). Extend it from its page to keep it longer.`,
      link: `/catalog/default/system/${stack.stackId}`,
      severity: notice.id === 'hour' ? 'high' : 'normal',
    });
    return notice.id;
  }

  /** Starts the stack's destroy run, records it, and tells the owners where to follow it. */
  private async destroy(stack: ExpiringStack) {
    const taskId = await this.options.startTask(this.options.destroyTemplate, {
      name: stack.name,
      environment: stack.environment,
      location: { accountId: stack.accountId, region: stack.region },
      confirmation: stack.name,
    });
    await this.options.stacks.markExpiryTask(stack, taskId);
    this.options.logger.info(
      `Stack ${stack.ref} expired at ${stack.expiresAt}: destroy task ${taskId} started`,
    );
    await this.notify(stack, {
      title: `Stack ${stack.stackId} expired and is being destroyed`,
      description: `It expired at ${stack.expiresAt}; every resource of it is being deleted.`,
      link: `/provisioning/runs/${encodeURIComponent(
        runIdFor(taskId, stack.stackId),
      )}`,
      severity: 'high',
    });
    return taskId;
  }

  private async notify(
    stack: ExpiringStack,
    payload: {
      title: string;
      description: string;
      link: string;
      severity: 'normal' | 'high';
    },
  ) {
    await this.options.notifications.send({
      recipients: { type: 'entity', entityRef: stack.owner },
      payload: { ...payload, topic: 'provisioning-expiry' },
    });
  }
}

/** `3 hours`, `59 minutes`: how long is left, rounded down, in words. */
function inWords(ms: number): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.floor(minutes / 60)} hours`;
}
