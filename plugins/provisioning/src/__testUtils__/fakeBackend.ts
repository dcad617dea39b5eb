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
 * A provisioning backend in memory: an event log, and event streams that deliver each append (or
 * stay silent, when `streams` is false, to prove the signal path alone).
 */
export function fakeBackend(options: {
  streams: boolean;
  /** Answer as the backend does to a user who may not read the stack's outputs. */
  outputsHidden?: boolean;
}) {
  const log: ProvisioningEvent[] = [];
  const followers = new Set<(events: ProvisioningEvent[]) => void>();
  /** Streams to refuse before one opens, as a portal that cannot be reached would. */
  const refusals: Error[] = [];
  const after = (cursor: number) => log.filter(e => e.seq! > cursor);
  const client = {
    calls: [] as string[],
    // The stack's versions (the page's Change and Destroy): none recorded.
    getStackVersions: jest.fn(async () => ({ items: [] })),
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
    listEvents: jest.fn(async (_id: string, cursor: number) => ({
      events: after(cursor),
      cursor: log.length,
    })),
    followEvents: jest.fn(
      async (
        _id: string,
        follow: {
          after: number;
          onEvents: (events: ProvisioningEvent[]) => void;
          onOpen?: () => void;
          signal: AbortSignal;
        },
      ) => {
        const refusal = refusals.shift();
        if (refusal) throw refusal;
        follow.onOpen?.();
        if (options.streams) {
          if (after(follow.after).length) follow.onEvents(after(follow.after));
          followers.add(follow.onEvents);
        }
        // Open until the page goes away.
        await new Promise<void>(resolve =>
          follow.signal.addEventListener('abort', () => resolve()),
        );
        followers.delete(follow.onEvents);
      },
    ),
    cancelRun: jest.fn(async () => ({ runId: run.id, taskId: run.taskId })),
    retryRun: jest.fn(async () => ({ runId: run.id, taskId: run.taskId })),
  };
  const append = (
    status: ProvisioningEvent['status'],
    resource?: ProvisioningEvent['resource'],
    extra: Partial<ProvisioningEvent> = {},
  ) => {
    log.push({
      seq: log.length + 1,
      at: new Date().toISOString(),
      status,
      resource,
      message: `${resource ?? 'run'} ${status}`,
      ...extra,
    });
    followers.forEach(deliver => deliver([log[log.length - 1]]));
    return log.length;
  };
  return { client, append, log, refusals };
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
