import request from 'supertest';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleWorkspaceDatabase from '@backstage/plugin-scaffolder-backend-module-workspace-database';
import scaffolderModuleKonductor from '@konductor/plugin-scaffolder-backend-module-konductor';
import catalogModuleKonductor from '@konductor/plugin-catalog-backend-module-konductor';
import permissionPlugin from '@backstage/plugin-permission-backend';
import konductorPolicy from '@konductor/plugin-permission-backend-module-konductor';
import compliancePlugin from '@konductor/plugin-compliance-backend';
import techdocsPlugin from '@backstage/plugin-techdocs-backend';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { eventually, loadAppConfigData } from './__testUtils__/appConfig';
import { catalogTasks } from './__testUtils__/scheduler';

// Starts the catalog and scaffolder the way packages/backend does, on the real app-config.yaml,
// and checks what a user sees first: Konductor's own catalog and a template that can run.
describe('Konductor backend on its embedded defaults', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const tasks = catalogTasks();

  jest.setTimeout(60_000);

  beforeAll(async () => {
    const data = await loadAppConfigData();
    ({ server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            ...data,
            backend: {
              ...(data.backend as object),
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
          },
        }),
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        catalogModuleKonductor,
        tasks.module,
        scaffolderPlugin,
        scaffolderModuleWorkspaceDatabase,
        scaffolderModuleKonductor,
        permissionPlugin,
        konductorPolicy,
        compliancePlugin,
        techdocsPlugin,
      ],
    }));
  });

  async function getEntity(ref: string) {
    const [kind, name] = ref.split(':');
    const res = await request(server)
      .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
      .set('Authorization', mockCredentials.service.header());
    return res.status === 200 ? res.body : undefined;
  }

  it('loads catalog-info.yaml: the Konductor system and its components', async () => {
    const system = await eventually('system:konductor', () =>
      getEntity('system:konductor'),
    );
    expect(system.metadata.title).toBe('Konductor');

    for (const name of ['konductor-app', 'konductor-backend']) {
      const component = await eventually(name, () =>
        getEntity(`component:${name}`),
      );
      expect(component.spec).toMatchObject({
        system: 'konductor',
        owner: 'group:default/platform-team',
      });
      expect(component.relations).toContainEqual(
        expect.objectContaining({
          type: 'partOf',
          targetRef: 'system:default/konductor',
        }),
      );
    }
  });

  it('serves the hello-world template, and every action it uses is installed', async () => {
    const template = await eventually('template:hello-world', () =>
      getEntity('template:hello-world'),
    );
    const res = await request(server)
      .get('/api/scaffolder/v2/actions')
      .set('Authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    const installed = new Set(res.body.map((a: { id: string }) => a.id));
    const used: string[] = template.spec.steps.map(
      (s: { action: string }) => s.action,
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter(id => !installed.has(id))).toEqual([]);
  });

  it('ingests the example service definitions and serves the Template generated from each', async () => {
    const res = await request(server)
      .get('/api/scaffolder/v2/actions')
      .set('Authorization', mockCredentials.service.header());
    const installed = new Set(res.body.map((a: { id: string }) => a.id));
    for (const [name, ...actions] of [
      ['vpn-access', 'konductor:stack:outputs', 'konductor:jira:issue:create'],
      ['private-network', 'konductor:stack:provision'],
    ]) {
      // vpn-access depends on private-network: if processed first, it is refused until the
      // dependencies are looked at again.
      const definition = await eventually(
        `servicedefinition:${name}`,
        async () => {
          await tasks.run('konductor-definition-dependencies');
          return getEntity(`servicedefinition:${name}`);
        },
      );
      expect(definition.relations).toContainEqual(
        expect.objectContaining({
          type: 'ownedBy',
          targetRef: 'group:default/platform-team',
        }),
      );
      const template = await eventually(`template:${name}`, () =>
        getEntity(`template:${name}`),
      );
      expect(template.metadata.annotations).toMatchObject({
        'konductor.dev/service-definition': `servicedefinition:default/${name}`,
      });
      const used = template.spec.steps.map((s: { action: string }) => s.action);
      expect(used).toEqual(actions);
      expect(used.filter((id: string) => !installed.has(id))).toEqual([]);
    }
  });

  it("installs Konductor's actions on the real config", async () => {
    const res = await request(server)
      .get('/api/scaffolder/v2/actions')
      .set('Authorization', mockCredentials.service.header());
    const ids = res.body.map((a: { id: string }) => a.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'konductor:stack:provision',
        'konductor:stack:destroy',
        'konductor:stack:outputs',
        'konductor:github:repo:provision',
        'konductor:jira:issue:create',
      ]),
    );
    const provision = res.body.find(
      (a: { id: string }) => a.id === 'konductor:stack:provision',
    );
    expect(provision.schema.input.required).toEqual(
      expect.arrayContaining(['name', 'environment', 'resources']),
    );
    // Where the stack goes; the handler refuses a stack without it (or the deprecated aws).
    expect(provision.schema.input.properties.target.required).toEqual([
      'provider',
      'accountId',
      'region',
    ]);
    expect(provision.examples.length).toBeGreaterThan(0);
  });

  it("evaluates Konductor's own components for compliance through the real catalog", async () => {
    await eventually('component:konductor-backend', () =>
      getEntity('component:konductor-backend'),
    );
    const res = await request(server)
      .post(
        '/api/compliance/entities/component/default/konductor-backend/evaluate',
      )
      // (A service: mock auth cannot give a user an on-behalf-of token the permission plugin takes.)
      .set('Authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    expect(res.body.level).toBe('moderate');
    expect(res.body.results.map((r: { checkId: string }) => r.checkId)).toEqual(
      expect.arrayContaining([
        'ownership',
        'system-membership',
        'documentation',
      ]),
    );
    // Documented on evidence: its TechDocs (docs/, mkdocs.yml) built by the TechDocs backend.
    expect(
      res.body.results.find(
        (r: { checkId: string }) => r.checkId === 'documentation',
      ),
    ).toMatchObject({
      status: 'pass',
      message: 'Described, and its TechDocs site builds.',
      evidence: expect.arrayContaining([
        expect.objectContaining({
          fact: 'techdocs.site',
          source: 'techdocs',
          value: { built: true },
        }),
      ]),
    });
    expect(
      res.body.results.find(
        (r: { checkId: string }) => r.checkId === 'ownership',
      ),
    ).toMatchObject({
      status: 'pass',
      evidence: [
        expect.objectContaining({ source: 'catalog' }),
        expect.anything(),
      ],
    });
  });
});
