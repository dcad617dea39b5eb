import type { Entity } from '@backstage/catalog-model';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogSync } from './CatalogSync';
import { ComplianceStore } from './ComplianceStore';
import { Evaluator } from './Evaluator';
import { catalogFacts } from './factSources';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const component = (name: string, etag: string, system?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, etag, description: name },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/a',
    system,
  },
});

describe('CatalogSync', () => {
  it('evaluates everything, then only what changed, and forgets what left the catalog', async () => {
    const knex = await databases.init('SQLITE_3');
    const store = await ComplianceStore.create({
      getClient: async () => knex,
      migrations: { skip: false },
    });
    const evaluator = new Evaluator({
      store,
      defaultLevel: 'low',
      sources: [catalogFacts],
    });
    const evaluated: string[] = [];
    const evaluate = evaluator.evaluate.bind(evaluator);
    evaluator.evaluate = async entities => {
      evaluated.push(...entities.map(e => e.metadata.name));
      return evaluate(entities);
    };
    const sync = (entities: Entity[]) =>
      new CatalogSync({
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
        evaluator,
        store,
        logger: mockServices.logger.mock(),
      });
    const group: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'a' },
      spec: { type: 'team', children: [] },
    };

    await sync([component('a', '1'), component('b', '1'), group]).full();
    expect(evaluated.sort()).toEqual(['a', 'b']);

    evaluated.length = 0;
    // b changed (a new etag), c is new, a is unchanged.
    expect(
      await sync([
        component('a', '1'),
        component('b', '2', 'shop'),
        component('c', '1'),
      ]).changed(),
    ).toBe(2);
    expect(evaluated.sort()).toEqual(['b', 'c']);
    expect(
      (await store.getEntity('component:default/b')).results.find(
        r => r.checkId === 'system-membership',
      )!.status,
    ).toBe('pass');

    // a left the catalog.
    await sync([component('b', '2', 'shop'), component('c', '1')]).changed();
    await expect(store.getEntity('component:default/a')).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
