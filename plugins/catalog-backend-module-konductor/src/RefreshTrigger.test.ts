import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type { SchedulerService } from '@backstage/backend-plugin-api';
import { RefreshTrigger } from './RefreshTrigger';

/** A scheduler whose task runs until `finish()`: triggers meanwhile are refused, as Backstage's. */
function schedulerWithRunningTask() {
  let running = true;
  const triggered: string[] = [];
  const scheduler = {
    triggerTask: jest.fn(async (id: string) => {
      if (id === 'missing')
        throw new NotFoundError(`Task ${id} does not exist`);
      if (running) throw new ConflictError(`Task ${id} is currently running`);
      triggered.push(id);
    }),
  } as unknown as SchedulerService;
  return { scheduler, triggered, finish: () => (running = false) };
}

describe('RefreshTrigger', () => {
  const logger = mockServices.logger.mock();

  it('triggers a task refused while running once the running refresh ends', async () => {
    const { scheduler, triggered, finish } = schedulerWithRunningTask();
    const trigger = new RefreshTrigger({ scheduler, logger, retryMs: 5 });
    const request = trigger.request('refresh');
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(triggered).toEqual([]);
    finish();
    await request;
    expect(triggered).toEqual(['refresh']);
  });

  it('folds requests made while one waits into that one', async () => {
    const { scheduler, triggered, finish } = schedulerWithRunningTask();
    const trigger = new RefreshTrigger({ scheduler, logger, retryMs: 5 });
    const first = trigger.request('refresh');
    const second = trigger.request('refresh');
    finish();
    await Promise.all([first, second]);
    expect(triggered).toEqual(['refresh']);
    // Once triggered, a later request triggers again.
    await trigger.request('refresh');
    expect(triggered).toEqual(['refresh', 'refresh']);
  });

  it('gives up after the longest wait, and at once on any other error, and says so', async () => {
    const { scheduler, triggered } = schedulerWithRunningTask();
    const warn = mockServices.logger.mock();
    const trigger = new RefreshTrigger({
      scheduler,
      logger: warn,
      retryMs: 5,
      maxWaitMs: 30,
    });
    await trigger.request('refresh');
    await trigger.request('missing');
    expect(triggered).toEqual([]);
    expect(warn.warn).toHaveBeenCalledWith(
      expect.stringContaining('refresh not triggered'),
    );
    expect(warn.warn).toHaveBeenCalledWith(
      expect.stringContaining('missing not triggered'),
    );
    const missing = (scheduler.triggerTask as jest.Mock).mock.calls.filter(
      ([id]) => id === 'missing',
    );
    expect(missing).toHaveLength(1);
  });
});
