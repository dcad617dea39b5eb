import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import request from 'supertest';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogModuleKonductor from '..';

const root = path.resolve(__dirname, '../../../..');
const auth = mockCredentials.service.header();
const read = (file: string) =>
  yaml.parse(
    fs.readFileSync(
      path.join(root, 'catalog/service-definitions', file),
      'utf8',
    ),
  );

/**
 * A real catalog backend with Konductor's module, holding `vpn-access` (which depends on
 * `private-network`) from its configuration; `private-network` is registered and unregistered
 * through the catalog's API, as an author does.
 */
describe('a definition whose dependency appears or disappears', () => {
  let dir: string;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const api = () => request(backend.server);

  /** What the catalog shows of `vpn-access`: its processing errors and whether its Template is there. */
  async function vpnAccess() {
    const definition = await api()
      .get('/api/catalog/entities/by-name/servicedefinition/default/vpn-access')
      .set('Authorization', auth);
    const template = await api()
      .get('/api/catalog/entities/by-name/template/default/vpn-access')
      .set('Authorization', auth);
    return {
      errors: ((definition.body?.status?.items ?? []) as any[]).map(
        i => i.error?.message as string,
      ),
      template: template.status === 200,
    };
  }

  /** Polls until `vpn-access` looks like `expected` (the catalog processes in the background). */
  async function expectVpnAccess(
    expected: (state: Awaited<ReturnType<typeof vpnAccess>>) => boolean,
  ) {
    const deadline = Date.now() + 30_000;
    let state = await vpnAccess();
    while (!expected(state) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 250));
      state = await vpnAccess();
    }
    return state;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-deps-'));
    fs.writeFileSync(
      path.join(dir, 'vpn-access.yaml'),
      yaml.stringify(read('vpn-access.yaml')),
    );
    fs.writeFileSync(
      path.join(dir, 'private-network.yaml'),
      yaml.stringify(read('private-network.yaml')),
    );
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: { baseUrl: 'http://localhost:7007' },
            catalog: {
              locations: [
                { type: 'file', target: path.join(dir, 'vpn-access.yaml') },
              ],
              rules: [{ allow: ['Location', 'Template', 'ServiceDefinition'] }],
            },
            konductor: {
              catalog: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 1 },
                },
              },
            },
          },
        }),
        catalogPlugin,
        // The real scheduler: the dependencies are looked at every few seconds.
        schedulerServiceFactory,
        catalogModuleScaffolderEntityModel,
        catalogModuleKonductor,
        // The author's file is registered through the API, as the UI's Register does with a URL.
        createBackendModule({
          pluginId: 'catalog',
          moduleId: 'test-file-locations',
          register(reg) {
            reg.registerInit({
              deps: { locations: catalogLocationsExtensionPoint },
              async init({ locations }) {
                locations.setAllowedLocationTypes(['file']);
              },
            });
          },
        }),
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is refused while it is missing, and generated within seconds of it being registered; refused again within seconds of it being unregistered', async () => {
    // Before its dependency is registered: refused (nothing stored, so no Template).
    expect((await vpnAccess()).template).toBe(false);

    const added = await api()
      .post('/api/catalog/locations')
      .set('Authorization', auth)
      .send({ type: 'file', target: path.join(dir, 'private-network.yaml') });
    expect(added.status).toBe(201);
    const registered = await expectVpnAccess(s => s.template);
    expect(registered).toEqual({ errors: [], template: true });

    await api()
      .delete(`/api/catalog/locations/${added.body.location.id}`)
      .set('Authorization', auth)
      .expect(204);
    const unregistered = await expectVpnAccess(s => s.errors.length > 0);
    expect(unregistered.errors).toEqual([
      'ServiceDefinition servicedefinition:default/vpn-access is invalid: spec.dependsOn: servicedefinition:default/private-network is not in the catalog: register that definition, or remove it from spec.dependsOn',
    ]);
    // Its last valid Template stays.
    expect(unregistered.template).toBe(true);
  }, 90_000);
});
