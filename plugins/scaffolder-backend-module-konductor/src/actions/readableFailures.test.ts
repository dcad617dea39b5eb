import { mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { withReadableFailures } from './readableFailures';
import { ManualWaitPendingError } from './jiraIssueCreate';
import { ApprovalPendingError } from './stackApproval';

const failing = (error: Error) =>
  createTemplateAction({
    id: 'konductor:test:fail',
    async handler() {
      throw error;
    },
  });

const ctx = { task: { id: 'task-1' } } as any;

describe('withReadableFailures', () => {
  it("sends an explained failure to the task with its sentence as its stack, and Node's stack to the backend's log", async () => {
    const logger = mockServices.logger.mock();
    const refusal = new InputError('name: use lower-case letters');
    const original = refusal.stack!;
    expect(original).toMatch(/\n\s+at /);
    const action = withReadableFailures(failing(refusal), logger);
    await expect(action.handler(ctx)).rejects.toBe(refusal);
    expect(refusal.stack).toBe('InputError: name: use lower-case letters');
    expect(logger.info).toHaveBeenCalledWith(
      `konductor:test:fail failed in task task-1: ${original}`,
    );
  });

  it.each([
    [
      'an approval',
      new ApprovalPendingError('Waiting for approval (request r-1)'),
    ],
    [
      'a manual ticket',
      new ManualWaitPendingError('Waiting for OPS-1 to be done'),
    ],
  ])(
    'ends a task that waits for %s with its sentence, without a stack, and logs it as a wait',
    async (_, wait) => {
      const logger = mockServices.logger.mock();
      const action = withReadableFailures(failing(wait), logger);
      await expect(action.handler(ctx)).rejects.toBe(wait);
      expect(wait.stack).toBe(`${wait.name}: ${wait.message}`);
      expect(logger.info).toHaveBeenCalledTimes(1);
      expect(logger.info).toHaveBeenCalledWith(
        `konductor:test:fail in task task-1 waits: ${wait.message}`,
      );
    },
  );

  it('leaves any other error (a bug) as it is, stack and all', async () => {
    const logger = mockServices.logger.mock();
    const bug = new TypeError(
      "Cannot read properties of undefined (reading 'x')",
    );
    const stack = bug.stack;
    const action = withReadableFailures(failing(bug), logger);
    await expect(action.handler(ctx)).rejects.toBe(bug);
    expect(bug.stack).toBe(stack);
    expect(logger.info).not.toHaveBeenCalled();
  });

  it('keeps the action itself: id, schema, examples', () => {
    const action = failing(new Error('x'));
    const wrapped = withReadableFailures(action, mockServices.logger.mock());
    expect(wrapped.id).toBe(action.id);
    expect(wrapped.schema).toBe(action.schema);
  });
});
