import path from 'node:path';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';

// The scaffolder's task broker, patched in .yarn/patches: a task dispatched while the worker's
// claim was looking for an open task used to wake nobody, so it stayed `open` until the next
// dispatch (two runs submitted together on PostgreSQL lost the second about one time in 30).
// The broker is not exported, so the test loads the package's own files.
const dist = path.dirname(
  require.resolve('@backstage/plugin-scaffolder-backend'),
);
const { DatabaseTaskStore } = require(path.join(
  dist,
  'scaffolder/tasks/DatabaseTaskStore.cjs.js',
));
const { StorageTaskBroker } = require(path.join(
  dist,
  'scaffolder/tasks/StorageTaskBroker.cjs.js',
));

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const spec = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  steps: [],
  output: {},
  parameters: {},
};

describe.each(databases.eachSupportedId())(
  'scaffolder task claim on %s',
  databaseId => {
    it('claims a task dispatched while it was looking for one', async () => {
      const store = await DatabaseTaskStore.create({
        database: await databases.init(databaseId),
      });
      const racing = Object.create(store);
      const broker = new StorageTaskBroker(racing, mockServices.logger.mock());
      // The dispatch lands after the claim's query found no open task and before it waits.
      let dispatchedId: string | undefined;
      racing.claimTask = async () => {
        const task = await store.claimTask();
        if (!task && !dispatchedId)
          ({ taskId: dispatchedId } = await broker.dispatch({ spec }));
        return task;
      };
      // The broker watches a claimed task's events until it ends; the test waits for that, so
      // that nothing reads the database after it is shut down.
      let watchEnded = () => {};
      const ended = new Promise<void>(resolve => (watchEnded = resolve));
      racing.listEvents = async (options: object) => {
        const result = await store.listEvents(options);
        if (
          result.events.some((e: { type: string }) => e.type === 'completion')
        )
          watchEnded();
        return result;
      };

      // A worker that missed the dispatch would wait for the next one: the signal bounds that.
      const claimed = await broker.claim({
        signal: AbortSignal.timeout(10_000),
      });
      expect(dispatchedId).toBeDefined();
      expect(claimed.taskId).toBe(dispatchedId);
      expect((await store.getTask(dispatchedId)).status).toBe('processing');
      await claimed.complete('completed');
      await ended;
    }, 30_000);
  },
);
