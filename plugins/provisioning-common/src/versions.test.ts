import { specChanges } from './versions';

describe('specChanges', () => {
  it('names each attribute that changed, was added or was removed, walking objects and taking lists whole', () => {
    const before = {
      name: 'shop',
      resources: {
        database: { kind: 'database', storageGb: 20, multiAz: false },
        secrets: { kind: 'secrets', generated: ['A'] },
        cache: { kind: 'cache' },
      },
    };
    const after = {
      name: 'shop',
      resources: {
        database: { kind: 'database', storageGb: 50, multiAz: false },
        secrets: { kind: 'secrets', generated: ['A', 'B'] },
        app: { kind: 'app', env: {} },
      },
    };
    expect(specChanges(before, after)).toEqual([
      { path: 'resources.app.env', after: {} },
      { path: 'resources.app.kind', after: 'app' },
      { path: 'resources.cache.kind', before: 'cache' },
      { path: 'resources.database.storageGb', before: 20, after: 50 },
      { path: 'resources.secrets.generated', before: ['A'], after: ['A', 'B'] },
    ]);
    expect(specChanges(after, after)).toEqual([]);
  });
});
