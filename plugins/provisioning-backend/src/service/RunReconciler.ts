import { ConflictError } from '@backstage/errors';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ProvisioningEvent,
  ProvisioningRun,
} from '@konductor/plugin-provisioning-common';
import { RunStore } from './RunStore';
import { RunLog } from './RunLog';

/** Where a scaffolder task is; `missing` when the scaffolder no longer has it. */
export type TaskState =
  | 'open'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'missing';

const ENDS: Record<
  Exclude<TaskState, 'open' | 'processing'>,
  ProvisioningEvent['status']
> = {
  completed: 'run-succeeded',
  failed: 'run-failed',
  cancelled: 'run-cancelled',
  missing: 'run-failed',
};

/**
 * Keeps runs in step with their scaffolder tasks. The stack action reports a run's end itself;
 * when it could not (its backend was killed after the task's last step, its events could not be
 * delivered, a task was cancelled before it started), a run would stay `running` forever. A run
 * that has been quiet for `quietMs` is checked against its task: a task that has ended ends the
 * run the same way, with an event that says why, so the run page stops waiting and offers Retry.
 * A task still open or processing is left alone: task recovery resumes it.
 */
export class RunReconciler {
  constructor(
    private readonly options: {
      store: RunStore;
      log: RunLog;
      /** The state of a scaffolder task, asked as this plugin. */
      taskState(taskId: string): Promise<TaskState>;
      logger: LoggerService;
      quietMs: number;
    },
  ) {}

  /** One sweep; returns the runs it ended. */
  async reconcile(): Promise<ProvisioningRun[]> {
    const { store, logger } = this.options;
    const quiet = await store.listQuietRuns(
      new Date(Date.now() - this.options.quietMs),
    );
    const ended: ProvisioningRun[] = [];
    for (const run of quiet) {
      try {
        const state = await this.options.taskState(run.taskId);
        if (state === 'open' || state === 'processing') continue;
        const result = await this.options.log.append(run.id, [
          {
            seq: run.lastSeq + 1,
            at: new Date().toISOString(),
            status: ENDS[state],
            message: why(run, state),
            ...(state === 'completed' ? {} : { error: why(run, state) }),
          },
        ]);
        await result.announced;
        if (result.appended.length) ended.push(result.run);
      } catch (e) {
        // The action wrote in between (the log refuses the stale number): it is alive after all.
        if (e instanceof ConflictError) continue;
        logger.warn(
          `Could not reconcile run ${run.id} with task ${run.taskId}: ${
            (e as Error).message
          }`,
        );
      }
    }
    return ended;
  }
}

function why(run: ProvisioningRun, state: TaskState) {
  const task = `Task ${run.taskId}`;
  const ended =
    state === 'missing'
      ? `${task} no longer exists`
      : `${task} ${state === 'completed' ? 'completed' : `was ${state}`}`;
  return `${ended}, but this run never reported its end (the backend running it stopped, or its last events could not be delivered): ended by the run reconciler. The task's log has the details${
    state === 'completed' ? '' : '; Retry runs it again'
  }.`;
}
