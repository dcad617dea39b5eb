import { act } from '@testing-library/react';
import { NotFoundError } from '@backstage/errors';
import type {
  ProvisioningEvent,
  ProvisioningRun,
} from '@konductor/plugin-provisioning-common';

/** A run of a `network -> database` stack, for the page's tests. */
export const run: ProvisioningRun = {
  id: 'task-1_shop-dev',
  taskId: 'task-1',
  stackId: 'shop-dev',
  stackName: 'shop',
  environment: 'dev',
  accountId: '123456789012',
  region: 'us-east-1',
  stackRef: '123456789012/us-east-1/shop-dev',
  status: 'running',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  lastSeq: 0,
};

/**
 * A provisioning backend in memory: an event log, and long-polls that answer when an event is
 * appended (or never, when `longPollAnswers` is false, to prove the signal path alone).
 */
export function fakeBackend(options: {
  longPollAnswers: boolean;
  /** Answer as the backend does to a user who may not read the stack's outputs. */
  outputsHidden?: boolean;
}) {
  const log: ProvisioningEvent[] = [];
  let wake: (() => void)[] = [];
  const after = (cursor: number) => log.filter(e => e.seq! > cursor);
  const client = {
    calls: [] as string[],
    getRun: jest.fn(async (id: string) => {
      if (id !== run.id)
        throw new NotFoundError(`No provisioning run with id ${id}`);
      return {
        run,
        resources: [
          {
            resource: 'network',
            dependsOn: [],
            status: 'queued',
            updatedAt: '',
          },
          {
            resource: 'database',
            dependsOn: ['network'],
            status: 'queued',
            updatedAt: '',
          },
        ],
        ...(options.outputsHidden ? { outputsHidden: true } : {}),
      };
    }),
    listEvents: jest.fn(async (_id: string, cursor: number, wait: number) => {
      if (wait && !after(cursor).length) {
        if (!options.longPollAnswers) return new Promise<never>(() => {});
        await new Promise<void>(resolve => wake.push(resolve));
      }
      return { events: after(cursor), cursor: log.length };
    }),
    cancelRun: jest.fn(async () => ({ runId: run.id, taskId: run.taskId })),
    retryRun: jest.fn(async () => ({ runId: run.id, taskId: run.taskId })),
  };
  const append = (
    status: ProvisioningEvent['status'],
    resource?: ProvisioningEvent['resource'],
  ) => {
    log.push({
      seq: log.length + 1,
      at: new Date().toISOString(),
      status,
      resource,
      message: `${resource ?? 'run'} ${status}`,
    });
    const waiting = wake;
    wake = [];
    waiting.forEach(w => w());
    return log.length;
  };
  return { client, append, log };
}

export function fakeSignals() {
  const subscribers = new Map<string, (m: any) => void>();
  return {
    api: {
      subscribe: (channel: string, onMessage: (m: any) => void) => {
        subscribers.set(channel, onMessage);
        return { unsubscribe: () => subscribers.delete(channel) };
      },
    },
    publish: (channel: string, message: object) =>
      act(() => subscribers.get(channel)?.(message)),
    subscribed: (channel: string) => subscribers.has(channel),
  };
}
