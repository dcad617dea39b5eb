import request from 'supertest';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateCacheSubnetGroupCommand,
  CreateReplicationGroupCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
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
import { complianceModuleKonductorRedis } from './module';

/** A cache as the catalog provider describes a provisioned one, running in production. */
const cacheEntity = (id: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: id,
    annotations: {
      [ANNOTATION_CLOUD_ID]: `arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${id}`,
      [ANNOTATION_AWS_ACCOUNT]: '123456789012',
      [ANNOTATION_AWS_REGION]: 'us-east-1',
      'konductor.dev/compliance-level': 'moderate',
      'konductor.dev/environment': 'prod',
    },
  },
  spec: { type: 'aws-elasticache-redis', owner: 'group:default/team-a' },
});

describe("the cache kind's compliance module", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({});
  });
  afterAll(() => sandbox.stop());

  it('evaluates the caches in the catalog with their live settings from ElastiCache', async () => {
    const config = {
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIA123456789012',
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
      },
    };
    const ec2 = new EC2Client(config);
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }),
    );
    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.9.0.0/24' }),
    );
    const elasticache = new ElastiCacheClient(config);
    await elasticache.send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'caches',
        CacheSubnetGroupDescription: 'caches',
        SubnetIds: [Subnet!.SubnetId!],
      }),
    );
    const base = {
      ReplicationGroupDescription: 'cache',
      CacheNodeType: 'cache.t4g.micro',
      CacheSubnetGroupName: 'caches',
    };
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ...base,
        ReplicationGroupId: 'kept-cache',
        NumCacheClusters: 2,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        AuthToken: 'a-token-of-more-than-16-characters',
        SnapshotRetentionLimit: 7,
      }),
    );
    // Made outside Konductor: no TLS, no token, no snapshots, one node.
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ...base,
        ReplicationGroupId: 'loose-cache',
      }),
    );
    const { server } = await startTestBackend({
      features: [
        compliancePlugin,
        complianceModuleKonductorRedis,
        catalogServiceMock.factory({
          entities: [cacheEntity('kept-cache'), cacheEntity('loose-cache')],
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
        res.body.results
          .filter((r: any) => r.checkId.startsWith('cache-'))
          .map((r: any) => [r.checkId, r.status]),
      );
    };
    expect(await results('kept-cache')).toEqual({
      'cache-encryption-in-transit': 'pass',
      'cache-auth-token': 'pass',
      'cache-encryption-at-rest': 'pass',
      'cache-automatic-failover': 'pass',
      'cache-snapshots': 'pass',
    });
    expect(await results('loose-cache')).toEqual({
      'cache-encryption-in-transit': 'fail',
      'cache-auth-token': 'fail',
      'cache-encryption-at-rest': 'fail',
      'cache-automatic-failover': 'fail',
      'cache-snapshots': 'fail',
    });
  });
});
