import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import techdocsPlugin from '@backstage/plugin-techdocs-backend';
import { techdocsFacts } from './factSources';

// The TechDocs fact against Backstage's own TechDocs backend, building with the machine's MkDocs
// (./konductor installs it): evidence is a site that builds, not an annotation.
describe('techdocsFacts', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-techdocs-'));
  const entity = (name: string, dir: string): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      annotations: {
        'backstage.io/techdocs-ref': 'dir:.',
        'backstage.io/managed-by-location': `file:${path.join(
          dir,
          'catalog-info.yaml',
        )}`,
      },
    },
    spec: { type: 'service', owner: 'group:default/a', lifecycle: 'x' },
  });
  const documented = path.join(root, 'documented');
  fs.mkdirSync(path.join(documented, 'docs'), { recursive: true });
  fs.writeFileSync(
    path.join(documented, 'mkdocs.yml'),
    'site_name: shop\nnav:\n  - Home: index.md\ntheme:\n  name: material\n',
  );
  fs.writeFileSync(path.join(documented, 'docs', 'index.md'), '# Shop\n');
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  const entities = [entity('shop', documented), entity('bare', empty)];

  let source: ReturnType<typeof techdocsFacts>;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        techdocsPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            techdocs: {
              builder: 'local',
              generator: {
                runIn: 'local',
                mkdocs: { omitTechdocsCorePlugin: true },
              },
              publisher: {
                type: 'local',
                local: { publishDirectory: path.join(root, 'site') },
              },
            },
          },
        }),
      ],
    });
    stop = () => backend.stop();
    const { port } = backend.server.address() as AddressInfo;
    source = techdocsFacts({
      discovery: mockServices.discovery.mock({
        getBaseUrl: async id => `http://localhost:${port}/api/${id}`,
      }),
      auth: mockServices.auth(),
    });
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('says built for docs that build, and gives the build error for docs that do not', async () => {
    expect(await source.read(entities[0])).toEqual({
      'techdocs.site': { built: true },
    });
    const bare = (await source.read(entities[1]))['techdocs.site'] as {
      built: boolean;
      reason: string;
    };
    expect(bare.built).toBe(false);
    // TechDocs' error, with MkDocs' own words for what to change.
    expect(bare.reason).toMatch(
      /^Failed to generate docs from .*: .*docs_dir.* isn't an existing directory/,
    );
    // Without the annotation there is nothing to build.
    expect(
      await source.read({
        ...entities[0],
        metadata: { name: 'linked', annotations: {} },
      }),
    ).toEqual({ 'techdocs.site': null });
  }, 120_000);
});
