import { EventEmitter, once } from 'node:events';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import type { EventsService } from '@backstage/plugin-events-node';
import {
  ProvisioningEvent,
  ProvisioningRun,
  RUN_FINISHED_TOPIC,
  RunFinishedEvent,
} from '@konductor/plugin-provisioning-common';
import { RunStore } from './RunStore';

/** The signal channel of a run; its messages say that events up to `cursor` exist. */
export const runChannel = (runId: string) => `provisioning:run:${runId}`;

/**
 * A run's event log and everything that follows a write to it: the live page's signal, the
 * long-polls waiting on this replica, and, when the run ends, the notification of who started
 * it and the `provisioning.run.finished` event. Events come from the stack actions and from the
 * reconciler that ends runs whose task ended without saying so.
 */
export class RunLog {
  // Wakes long-polls on this replica at once; other replicas' writes are found by re-reading.
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly options: {
      store: RunStore;
      signals: SignalsService;
      notifications: NotificationService;
      events: EventsService;
      logger: LoggerService;
    },
  ) {}

  /** Appends `events` (numbered from the run's cursor on) and announces what changed. */
  async append(runId: string, events: ProvisioningEvent[]) {
    const result = await this.options.store.appendEvents(runId, events);
    if (result.appended.length) {
      this.appended.emit(runId);
      await this.options.signals.publish({
        recipients: { type: 'broadcast' },
        channel: runChannel(runId),
        message: { runId, cursor: result.run.lastSeq },
      });
    }
    if (
      result.previousStatus === 'running' &&
      result.run.status !== 'running'
    ) {
      await this.notifyCompletion(
        result.run,
        result.appended[result.appended.length - 1],
      );
      const payload: RunFinishedEvent = {
        runId: result.run.id,
        stackId: result.run.stackId,
        status: result.run.status,
      };
      await this.options.events.publish({
        topic: RUN_FINISHED_TOPIC,
        eventPayload: payload,
      });
    }
    return result;
  }

  /** Resolves when this replica appends to `runId`, or after `ms`. */
  async waitForAppend(runId: string, ms: number) {
    await once(this.appended, runId, {
      signal: AbortSignal.timeout(ms),
    }).catch(() => undefined);
  }

  /** Tells who started a run (and, on failure, its owner) that it ended. */
  private async notifyCompletion(
    run: ProvisioningRun,
    last?: ProvisioningEvent,
  ) {
    const recipients = [
      run.createdBy,
      run.status === 'failed' ? run.owner : undefined,
    ].filter((r): r is string => !!r);
    if (!recipients.length) return;
    try {
      await this.options.notifications.send({
        recipients: { type: 'entity', entityRef: recipients },
        payload: {
          title: `Stack ${run.stackId} ${run.status}`,
          description: last?.message,
          link: `/provisioning/runs/${run.id}`,
          severity: run.status === 'failed' ? 'high' : 'normal',
          topic: 'provisioning',
        },
      });
    } catch (e) {
      // The run's record is what matters; a notification that cannot be sent is only logged.
      this.options.logger.warn(
        `Could not notify ${recipients.join(', ')} about run ${run.id}: ${
          (e as Error).message
        }`,
      );
    }
  }
}
