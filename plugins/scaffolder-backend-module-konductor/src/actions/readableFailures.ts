import type { LoggerService } from '@backstage/backend-plugin-api';
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';

/** The errors a task ends with to wait, not because something failed. */
const WAITS = ['ApprovalPendingError', 'ManualWaitPendingError'];

/**
 * Failures that explain themselves: a refusal (`@backstage/errors`' input, permission, conflict,
 * not-found and authentication errors), a stack run that failed and says what it rolled back, or
 * a task that ends to wait (for an approval, or for a manual ticket) and says for what. The person
 * reading the task's page is told what happened and what to do; Node's stack adds nothing for them.
 */
const EXPLAINED = new Set([
  'InputError',
  'NotAllowedError',
  'ConflictError',
  'NotFoundError',
  'AuthenticationError',
  'StackProvisioningError',
  ...WAITS,
]);

/**
 * `action` whose explained failures reach the task without Node's stack: the scaffolder writes a
 * failed step's `error.stack` into the task's log, which its page opens on failure, so the page
 * reads the error's own sentence instead. The stack goes to the backend's log (a wait's sentence
 * only). Any other error
 * (a bug) keeps its stack, on the page and in the log.
 */
export function withReadableFailures<A extends TemplateAction<any, any, any>>(
  action: A,
  logger: LoggerService,
): A {
  return {
    ...action,
    async handler(ctx: Parameters<A['handler']>[0]) {
      try {
        return await action.handler(ctx);
      } catch (error) {
        if (!(error instanceof Error) || !EXPLAINED.has(error.name))
          throw error;
        // A wait is no failure: the backend's log says what the task waits for, without a stack.
        logger.info(
          WAITS.includes(error.name)
            ? `${action.id} in task ${ctx.task.id} waits: ${error.message}`
            : `${action.id} failed in task ${ctx.task.id}: ${error.stack}`,
        );
        error.stack = `${error.name}: ${error.message}`;
        throw error;
      }
    },
  };
}
