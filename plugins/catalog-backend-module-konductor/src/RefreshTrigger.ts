import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';

/**
 * Starts a scheduled refresh now, and again after the one running ends. The scheduler refuses to
 * trigger a task that is running (a ConflictError), and a refresh that is running may have read
 * the runs before the change that asked for it: a trigger refused is retried until the running
 * refresh ends, on whichever replica it runs, since the scheduler's state is in the database.
 * Requests for a task that already waits are folded into that wait.
 */
export class RefreshTrigger {
  private readonly waiting = new Set<string>();

  constructor(
    private readonly options: {
      scheduler: SchedulerService;
      logger: LoggerService;
      /** How often a refused trigger is tried again. */
      retryMs?: number;
      /** How long to wait for a running refresh at most: its timeout. */
      maxWaitMs?: number;
    },
  ) {}

  /** Resolves once the task is triggered, or the wait given up (and logged). */
  async request(taskId: string): Promise<void> {
    if (this.waiting.has(taskId)) return;
    this.waiting.add(taskId);
    const {
      scheduler,
      logger,
      retryMs = 1_000,
      maxWaitMs = 300_000,
    } = this.options;
    const deadline = Date.now() + maxWaitMs;
    try {
      for (;;) {
        try {
          await scheduler.triggerTask(taskId);
          return;
        } catch (e) {
          const running = isError(e) && e.name === 'ConflictError';
          if (!running || Date.now() >= deadline) {
            logger.warn(
              `${taskId} not triggered, it runs at its next tick: ${e}`,
            );
            return;
          }
        }
        await new Promise(resolve => setTimeout(resolve, retryMs));
      }
    } finally {
      this.waiting.delete(taskId);
    }
  }
}
