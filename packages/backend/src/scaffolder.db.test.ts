import request from 'supertest';
import type { Knex } from 'knex';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import allowAllPolicy from '@backstage/plugin-permission-backend-module-allow-all-policy';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { eventually, loadAppConfigData } from './__testUtils__/appConfig';

// The catalog and scaffolder on each database Konductor supports: SQLite (embedded default)
// and PostgreSQL (production). PostgreSQL runs when ./konductor test provides one.
const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

/**
 * Backend database config that gives every plugin its own storage in the database TestDatabases
 * created: a schema per plugin on PostgreSQL, an in-memory database per plugin on SQLite (an
 * in-memory SQLite database cannot be shared between connections).
 */
function pluginDatabasesIn(knex: Knex) {
  const { client, connection } = knex.client.config;
  if (client === 'pg') {
    return { client, connection, pluginDivisionMode: 'schema' };
  }
  return { client: 'better-sqlite3', connection: ':memory:' };
}

describe.each(databases.eachSupportedId())(
  'catalog and scaffolder on %s',
  databaseId => {
    it('ingests the catalog and runs the hello-world template to completion', async () => {
      const knex = await databases.init(databaseId);
      const data = await loadAppConfigData();
      const { server } = await startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: {
              ...data,
              backend: {
                ...(data.backend as object),
                database: pluginDatabasesIn(knex),
              },
            },
          }),
          catalogPlugin,
          catalogModuleScaffolderEntityModel,
          scaffolderPlugin,
          permissionPlugin,
          allowAllPolicy,
        ],
      });
      const auth = mockCredentials.service.header();

      await eventually('the hello-world template in the catalog', async () => {
        const res = await request(server)
          .get('/api/catalog/entities/by-name/template/default/hello-world')
          .set('Authorization', auth);
        return res.status === 200 ? res.body : undefined;
      });

      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', auth)
        .send({
          templateRef: 'template:default/hello-world',
          values: { name: `db-${databaseId.toLowerCase().replace('_', '-')}` },
        });
      expect(created.status).toBe(201);

      const task = await eventually(
        'the task to finish',
        async () => {
          const res = await request(server)
            .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
            .set('Authorization', auth);
          return ['completed', 'failed', 'cancelled'].includes(res.body.status)
            ? res.body
            : undefined;
        },
        60_000,
      );
      expect(task.status).toBe('completed');

      // The task's log, read back from this database, holds every step's completion.
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', auth);
      const messages = events.body.map((e: any) => e.body.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          'Finished step Render skeleton',
          'Finished step Show workspace',
        ]),
      );
    }, 120_000);
  },
);
