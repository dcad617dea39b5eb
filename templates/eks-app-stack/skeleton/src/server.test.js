const { test } = require('node:test');
const assert = require('node:assert');
const { databaseSettings } = require('./server');

test('names the database settings that are missing', () => {
  assert.deepStrictEqual(databaseSettings({ DB_HOST: 'db' }).missing, [
    'DB_PORT',
    'DB_NAME',
    'DB_USER',
    'DB_PASSWORD',
  ]);
});
