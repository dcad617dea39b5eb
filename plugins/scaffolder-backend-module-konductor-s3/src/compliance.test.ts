import request from 'supertest';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Entity } from '@backstage/catalog-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import compliancePlugin from '@konductor/plugin-compliance-backend';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
} from '@konductor/plugin-provisioning-common';
import {
  startSandbox,
  Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { complianceModuleKonductorS3 } from './module';

/** A bucket as the catalog provider describes a provisioned one. */
const bucketEntity = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name,
    annotations: {
      [ANNOTATION_CLOUD_ID]: `arn:aws:s3:::${name}`,
      [ANNOTATION_AWS_ACCOUNT]: '123456789012',
      [ANNOTATION_AWS_REGION]: 'us-east-1',
      'konductor.dev/compliance-level': 'moderate',
    },
  },
  spec: { type: 'aws-s3-bucket', owner: 'group:default/team-a' },
});

describe("the bucket kind's compliance module", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({});
  });
  afterAll(() => sandbox.stop());

  it('evaluates the buckets in the catalog with their live settings, and lists and exempts its checks', async () => {
    const s3 = new S3Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: 'AKIA123456789012',
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
      },
    });
    for (const Bucket of ['kept-bucket', 'loose-bucket'])
      await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'kept-bucket',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const { server } = await startTestBackend({
      features: [
        compliancePlugin,
        complianceModuleKonductorS3,
        catalogServiceMock.factory({
          entities: [bucketEntity('kept-bucket'), bucketEntity('loose-bucket')],
        }),
        mockServices.rootConfig.factory({
          data: {
            aws: {
              accounts: [
                {
                  accountId: '123456789012',
                  accessKeyId: 'AKIA123456789012',
                  secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
                },
              ],
            },
            konductor: { aws: { endpoint: sandbox.url } },
          },
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
      ],
    });
    const results = async (name: string) => {
      const res = await request(server)
        .post(`/api/compliance/entities/resource/default/${name}/evaluate`)
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      return Object.fromEntries(
        res.body.results.map((r: any) => [r.checkId, r.status]),
      );
    };
    expect(await results('kept-bucket')).toMatchObject({
      's3-public-access-blocked': 'pass',
      's3-encryption-at-rest': 'pass',
      's3-versioning': 'pass',
    });
    expect(await results('loose-bucket')).toMatchObject({
      's3-versioning': 'fail',
    });

    const controls = await request(server)
      .get('/api/compliance/controls')
      .set('Authorization', mockCredentials.user.header());
    expect(controls.body.checks.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining(['db-encryption-at-rest', 's3-versioning']),
    );
    const exemption = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', mockCredentials.user.header())
      .send({
        entityRef: 'resource:default/loose-bucket',
        checkId: 's3-versioning',
        justification: 'scratch data, rebuilt every night',
        expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      });
    expect(exemption.status).toBe(201);
    const unknown = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', mockCredentials.user.header())
      .send({
        entityRef: 'resource:default/loose-bucket',
        checkId: 's3-nothing',
        justification: 'no such check exists here',
        expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      });
    expect(unknown.status).toBe(400);
  });
});
