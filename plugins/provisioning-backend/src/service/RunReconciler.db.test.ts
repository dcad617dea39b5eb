import type { Knex } from 'knex';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { RunStore } from './RunStore';
import { RunLog } from './RunLog';
import { RunReconciler, TaskState } from './RunReconciler';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

/** A quiet time under which every run written so far counts as quiet, this millisecond's too. */
const EVERY_RUN = -1;

const run = (taskId: string) => ({
  taskId,
  stackId: `${taskId}-dev`,
  stackName: taskId,
  environment: 'dev' as const,
  accountId: '123456789012',
  region: 'us-east-1',
  owner: 'group:default/payments',
  createdBy: 'user:default/alice',
  resources: [{ resource: 'network' as const, dependsOn: [] }],
});

describe.each(databases.eachSupportedId())(
  'RunReconciler on %s',
  databaseId => {
    let store: RunStore;
    const announced: unknown[] = [];
    const notified: unknown[] = [];
    let log: RunLog;
    beforeAll(async () => {
      store = await RunStore.create(
        databaseService(await databases.init(databaseId)),
      );
      log = new RunLog({
        store,
        signals: { publish: async () => {} },
        notifications: { send: async n => void notified.push(n) },
        events: {
          publish: async e => void announced.push(e.eventPayload),
          subscribe: async () => {},
        },
        logger: mockServices.logger.mock(),
      });
    });

    it('ends quiet runs whose task ended, the way the task ended, and leaves the rest', async () => {
      const tasks: Record<string, TaskState> = {
        done: 'completed',
        broken: 'failed',
        stopped: 'cancelled',
        working: 'processing',
        gone: 'missing',
      };
      const runs = Object.fromEntries(
        await Promise.all(
          Object.keys(tasks).map(async id => [
            id,
            (await store.createRun(run(id))).run,
          ]),
        ),
      );
      await log.append(runs.broken.id, [
        {
          seq: 1,
          at: new Date().toISOString(),
          status: 'run-started',
          message: 'Provisioning stack broken-dev',
        },
      ]);
      const reconciler = (quietMs: number) =>
        new RunReconciler({
          store,
          log,
          taskState: async id => tasks[id],
          logger: mockServices.logger.mock(),
          quietMs,
        });

      // Nothing has been quiet for a minute yet.
      expect(await reconciler(60_000).reconcile()).toEqual([]);

      const ended = await reconciler(EVERY_RUN).reconcile();
      expect(Object.fromEntries(ended.map(r => [r.taskId, r.status]))).toEqual({
        done: 'succeeded',
        broken: 'failed',
        stopped: 'cancelled',
        gone: 'failed',
      });
      expect((await store.getRun(runs.working.id)).status).toBe('running');
      const [last] = (await store.listEvents(runs.broken.id, 1)).slice(-1);
      expect(last).toMatchObject({
        seq: 2,
        status: 'run-failed',
        message: expect.stringMatching(
          /^Task broken was failed, but this run never reported its end .*ended by the run reconciler.*Retry runs it again/,
        ),
      });
      expect((await store.listEvents(runs.gone.id, 0))[0].message).toMatch(
        /^Task gone no longer exists/,
      );
      // Who started them hears of it, and so do the plugins that follow runs' ends.
      expect(announced).toEqual(
        expect.arrayContaining([
          { runId: runs.done.id, stackId: 'done-dev', status: 'succeeded' },
        ]),
      );
      expect(notified).toHaveLength(4);

      // A second sweep finds nothing more to do.
      expect(await reconciler(EVERY_RUN).reconcile()).toEqual([]);
    });

    it('leaves a run whose action wrote while its task was being asked about', async () => {
      const { run: live } = await store.createRun(run('racing'));
      const reconciler = new RunReconciler({
        store,
        log,
        taskState: async id => {
          if (id !== 'racing') return 'processing';
          // The action reports in the meantime (its task has ended, its end event is on the way).
          await log.append(live.id, [
            {
              seq: 1,
              at: new Date().toISOString(),
              status: 'run-succeeded',
              message: 'Stack racing-dev is ready',
            },
          ]);
          return 'completed';
        },
        logger: mockServices.logger.mock(),
        quietMs: EVERY_RUN,
      });
      expect(await reconciler.reconcile()).toEqual([]);
      const events = await store.listEvents(live.id, 0);
      expect(events.map(e => e.message)).toEqual(['Stack racing-dev is ready']);
    });
  },
);
