const { test } = require('node:test');
const assert = require('node:assert');
const { createWorker } = require('./worker');

test('counts runs and reports a failed run as unhealthy', async () => {
  let fail = false;
  const worker = createWorker({
    intervalMs: 60_000,
    work: async () => {
      if (fail) throw new Error('the queue is down');
    },
  });
  await worker.tick();
  assert.strictEqual(worker.state.runs, 1);
  fail = true;
  await worker.tick();
  assert.strictEqual(worker.state.lastError, 'the queue is down');
});
