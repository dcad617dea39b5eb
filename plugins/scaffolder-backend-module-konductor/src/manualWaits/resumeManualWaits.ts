import type { LoggerService } from '@backstage/backend-plugin-api';
import type { JiraClient } from '../actions/jiraIssueCreate';
import type { ManualWaits } from './ManualWaits';

/**
 * One sweep of the tasks that wait for a ticket: a ticket done has its task retried (it goes on
 * from its checkpoints: the ticket is not opened again); a wait past its deadline ends; a task
 * still ending is left to the next sweep.
 */
export async function resumeManualWaits(options: {
  waits: ManualWaits;
  jira: Pick<JiraClient, 'status'>;
  /** Retries a failed task through the scaffolder's API; false when it is not failed (yet). */
  retry: (taskId: string) => Promise<boolean>;
  logger: LoggerService;
  now?: () => Date;
}): Promise<void> {
  const { waits, jira, retry, logger } = options;
  const now = options.now?.() ?? new Date();
  for (const wait of await waits.waiting()) {
    try {
      if (wait.deadline <= now) {
        if (await waits.end(wait, 'expired'))
          logger.info(
            `Task ${wait.taskId}: ${
              wait.issueKey
            } was not done by ${wait.deadline.toISOString()}; it is no longer watched`,
          );
        continue;
      }
      const status = await jira.status(wait.issueKey);
      if (status.category !== 'done') continue;
      if ((await retry(wait.taskId)) && (await waits.end(wait, 'resumed')))
        logger.info(
          `Task ${wait.taskId} resumed: ${wait.issueKey} is ${status.name}`,
        );
    } catch (e) {
      logger.warn(
        `Task ${wait.taskId} waiting for ${wait.issueKey}: not resumed yet (${e}); the next sweep tries again`,
      );
    }
  }
}
