import { EventEmitter } from 'node:events';
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
import { AppendResult, RunStore } from './RunStore';

/** How many stored events a follower reads at a time. */
const PAGE = 1000;

/** The signal channel of a run; its messages say that events up to `cursor` exist. */
export const runChannel = (runId: string) => `provisioning:run:${runId}`;

/**
 * A run's event log and everything that follows a write to it: the event streams following it on
 * this replica, the live page's signal, and, when the run ends, the notification of who started
 * it and the `provisioning.run.finished` event. Events come from the stack actions and from the
 * reconciler that ends runs whose task ended without saying so.
 */
export class RunLog {
  // Hands each append on this replica to its followers at once; other replicas' appends are
  // found by re-reading the log.
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly options: {
      store: RunStore;
      signals: SignalsService;
      notifications: NotificationService;
      events: EventsService;
      logger: LoggerService;
      /** How often a follower re-reads the log for events appended on another replica. */
      pollIntervalMs?: number;
    },
  ) {}

  /**
   * Appends `events` (numbered from the run's cursor on) and hands them to this replica's
   * followers; it resolves once the events are stored. The announcements (the live page's
   * signal, and when the run ends its notification and `provisioning.run.finished` event) follow
   * in `announced`, so the action that posted the events gets its answer without waiting.
   */
  async append(runId: string, events: ProvisioningEvent[]) {
    const result = await this.options.store.appendEvents(runId, events);
    if (result.appended.length) this.appended.emit(runId, result.appended);
    return { ...result, announced: this.announce(result) };
  }

  /**
   * Signals the run's channel and, when the run ended, tells who started it and announces the end
   * (for the catalog); never throws: what fails is logged, and pages still get the events through
   * their event stream.
   */
  private async announce(result: AppendResult) {
    const { run, appended, previousStatus } = result;
    const { signals, events, logger } = this.options;
    if (appended.length)
      await signals
        .publish({
          recipients: { type: 'broadcast' },
          channel: runChannel(run.id),
          message: { runId: run.id, cursor: run.lastSeq },
        })
        .catch(e =>
          logger.warn(
            `Could not signal run ${run.id}: ${(e as Error).message}`,
          ),
        );
    if (previousStatus !== 'running' || run.status === 'running') return;
    await this.notifyCompletion(run, appended[appended.length - 1]);
    const payload: RunFinishedEvent = {
      runId: run.id,
      stackId: run.stackId,
      status: run.status,
    };
    await events
      .publish({ topic: RUN_FINISHED_TOPIC, eventPayload: payload })
      .catch(e =>
        logger.warn(
          `Could not announce the end of run ${run.id}: ${
            (e as Error).message
          }`,
        ),
      );
  }

  /**
   * Delivers the run's events after `after` in order, without gaps or repeats, until `signal`
   * aborts: first what is stored, then each append on this replica as it happens (without reading
   * the log again), and what other replicas append within `pollIntervalMs`.
   */
  async follow(
    runId: string,
    after: number,
    deliver: (events: ProvisioningEvent[]) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const { store, pollIntervalMs = 500 } = this.options;
    let cursor = after;
    const pushed: ProvisioningEvent[][] = [];
    let wake = () => {};
    const onAppend = (events: ProvisioningEvent[]) => {
      pushed.push(events);
      wake();
    };
    const onAbort = () => wake();
    /** Resolves false on this replica's next append (or abort), true when it is time to re-read. */
    const appendOrPoll = () =>
      new Promise<boolean>(resolve => {
        const timer = setTimeout(() => {
          wake = () => {};
          resolve(true);
        }, pollIntervalMs);
        wake = () => {
          wake = () => {};
          clearTimeout(timer);
          resolve(false);
        };
      });
    this.appended.on(runId, onAppend);
    signal.addEventListener('abort', onAbort);
    try {
      let reread = true;
      while (!signal.aborted) {
        if (reread) {
          reread = false;
          pushed.length = 0;
          for (;;) {
            const page = await store.listEvents(runId, cursor, PAGE);
            if (!page.length || signal.aborted) break;
            deliver(page);
            cursor = page[page.length - 1].seq!;
            if (page.length < PAGE) break;
          }
        }
        while (pushed.length && !reread) {
          const batch = pushed.shift()!;
          let skip = 0;
          while (skip < batch.length && batch[skip].seq! <= cursor) skip += 1;
          const events = batch.slice(skip);
          // An append this follower cannot place (one it missed came first) means re-reading.
          if (events.length && events[0].seq !== cursor + 1) reread = true;
          else if (events.length) {
            deliver(events);
            cursor = events[events.length - 1].seq!;
          }
        }
        if (reread || signal.aborted) continue;
        reread = await appendOrPoll();
      }
    } finally {
      this.appended.off(runId, onAppend);
      signal.removeEventListener('abort', onAbort);
    }
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
