import request from 'supertest';
import {
  createBackendModule,
  coreServices,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { complianceFactSourcesExtensionPoint } from '@konductor/plugin-compliance-node';
import compliancePlugin from '.';

/** A database another platform provisioned: no Konductor cloud id, so no built-in source reads it. */
const database = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name,
    annotations: { 'other-cloud.example/instance': `${name}-1` },
  },
  spec: { type: 'aws-rds-postgres', owner: 'group:default/payments' },
});

describe('fact sources added by a module', () => {
  it('are read beside the built-in ones, and their facts decide the checks', async () => {
    const read: string[] = [];
    // Registered only through the extension point: no change to the compliance backend.
    const otherCloud = createBackendModule({
      pluginId: 'compliance',
      moduleId: 'other-cloud-facts',
      register(env) {
        env.registerInit({
          deps: {
            sources: complianceFactSourcesExtensionPoint,
            logger: coreServices.logger,
          },
          async init({ sources }) {
            sources.addFactSource({
              id: 'other-cloud:databases',
              facts: ['rds.storageEncrypted'],
              appliesTo: e =>
                !!e.metadata.annotations?.['other-cloud.example/instance'],
              async read(e) {
                read.push(e.metadata.name);
                return { 'rds.storageEncrypted': e.metadata.name === 'safe' };
              },
            });
          },
        });
      },
    });
    const { server } = await startTestBackend({
      features: [
        compliancePlugin,
        otherCloud,
        catalogServiceMock.factory({
          entities: [database('safe'), database('plain')],
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
      ],
    });
    const encryption = async (name: string) => {
      const res = await request(server)
        .post(`/api/compliance/entities/resource/default/${name}/evaluate`)
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      return res.body.results.find(
        (r: { checkId: string }) => r.checkId === 'db-encryption-at-rest',
      );
    };
    expect(await encryption('safe')).toMatchObject({
      status: 'pass',
      controls: ['SC-28'],
      evidence: [
        {
          fact: 'rds.storageEncrypted',
          value: true,
          source: 'other-cloud:databases',
        },
      ],
    });
    expect(await encryption('plain')).toMatchObject({
      status: 'fail',
      evidence: [{ value: false, source: 'other-cloud:databases' }],
    });
    expect(read).toEqual(expect.arrayContaining(['safe', 'plain']));
  });
});
