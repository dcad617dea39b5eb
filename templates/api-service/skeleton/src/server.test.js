const { test } = require('node:test');
const assert = require('node:assert');
const { createServer } = require('./server');

test('adds and lists items, refusing one without a name', async () => {
  const server = createServer().listen(0);
  const base = `http://127.0.0.1:${server.address().port}/items`;
  const post = body => fetch(base, { method: 'POST', body });
  assert.strictEqual((await post('{"name":"pen"}')).status, 201);
  assert.strictEqual((await post('{}')).status, 400);
  assert.deepStrictEqual(await (await fetch(base)).json(), {
    items: [{ id: 1, name: 'pen' }],
  });
  server.close();
});
