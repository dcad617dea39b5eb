const { test } = require('node:test');
const assert = require('node:assert');
const { createServer } = require('./server');

test('serves its page and its health', async () => {
  const server = createServer({ SERVICE_NAME: 'shop' }).listen(0);
  const base = `http://127.0.0.1:${server.address().port}`;
  assert.match(await (await fetch(base)).text(), /<h1>shop<\/h1>/);
  assert.strictEqual((await fetch(`${base}/healthz`)).status, 200);
  server.close();
});
