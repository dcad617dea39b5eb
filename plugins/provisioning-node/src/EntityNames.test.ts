import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EntityNames } from './EntityNames';

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'carol', namespace: 'default', title: 'C. Chen' },
    spec: { profile: { displayName: 'Carol Chen' }, memberOf: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: 'platform-team',
      namespace: 'default',
      title: 'Platform team',
    },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-b', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
];

describe('EntityNames', () => {
  it('names entities as the catalog presents them, and keeps the refs it does not hold', async () => {
    const names = new EntityNames({
      catalog: catalogServiceMock({ entities }),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
    });
    const name = await names.of([
      'user:default/carol',
      'group:default/platform-team',
      'group:default/team-b',
      'user:default/nobody',
      'user:default/carol',
    ]);
    expect(name('user:default/carol')).toBe('Carol Chen');
    expect(name('group:default/platform-team')).toBe('Platform team');
    expect(name('group:default/team-b')).toBe('team-b');
    expect(name('user:default/nobody')).toBe('user:default/nobody');
  });

  it('keeps the refs, and says so, when the catalog cannot be asked', async () => {
    const catalog = catalogServiceMock.mock({
      getEntitiesByRefs: async () => {
        throw new Error('catalog unavailable');
      },
    });
    const logger = mockServices.logger.mock();
    const name = await new EntityNames({
      catalog,
      auth: mockServices.auth(),
      logger,
    }).of(['user:default/carol']);
    expect(name('user:default/carol')).toBe('user:default/carol');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('catalog unavailable'),
    );
  });
});
