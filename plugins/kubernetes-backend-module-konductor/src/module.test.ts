import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Octokit } from '@octokit/rest';
import * as k8s from '@kubernetes/client-node';
import {
  DEFAULT_ARGOCD_TOKEN,
  PLATFORM_HUB,
  type Sandbox,
  STARTER_IMAGE,
  startSandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { validateStackSpec } from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  GithubGitOpsRepository,
  provisionStack,
} from '@konductor/plugin-provisioning-node';
import {
  checkpointStore,
  credentials,
  durations,
  kubeClient,
  sandboxProvider,
} from '@konductor/plugin-provisioning-node/testUtils';
import { EksClusterProvider } from '@konductor/plugin-catalog-backend-module-konductor';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import { kubernetesModuleKonductor } from './module';

// A stack (network, private cluster, app through Argo CD) is provisioned first: about 10 s.
jest.setTimeout(90_000);

const ACCOUNT = '123456789012';
const ACCOUNTS = [ACCOUNT, PLATFORM_HUB.accountId].map(accountId => ({
  accountId,
  accessKeyId: `AKIA${accountId}`,
  secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
}));

describe("Backstage's Kubernetes plugin on a cluster whose endpoint is private", () => {
  let sandbox: Sandbox;
  let server: any;
  let clusterEntity: Entity;
  let clusterOutputs: Record<string, any>;
  const component: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'web',
      annotations: {
        'backstage.io/kubernetes-label-selector': 'konductor.dev/stack=web-dev',
      },
    },
    spec: {
      type: 'service',
      owner: 'group:default/team-a',
      lifecycle: 'production',
    },
    relations: [
      { type: 'dependsOn', targetRef: 'resource:default/web-dev-kubernetes' },
    ],
  };

  /** Another component depending on the same cluster, whose workloads have other labels. */
  const shop: Entity = {
    ...component,
    metadata: {
      name: 'shop',
      annotations: {
        'backstage.io/kubernetes-label-selector':
          'konductor.dev/stack=shop-dev',
      },
    },
  };

  beforeAll(async () => {
    // The portal is outside every VPC: a private endpoint answers it nothing.
    sandbox = await startSandbox({
      durations,
      seed: 7,
      privateEndpoints: true,
      platformHub: true,
    });
    const gh = () =>
      new Octokit({ baseUrl: sandbox.githubUrl, auth: 'sandbox-token' });
    const repo = await gh().rest.repos.get({
      owner: PLATFORM_HUB.repository.owner,
      repo: PLATFORM_HUB.repository.name,
    });
    const hub = {
      accountId: PLATFORM_HUB.accountId,
      region: PLATFORM_HUB.region,
      clusterName: PLATFORM_HUB.clusterName,
      capabilityName: PLATFORM_HUB.capabilityName,
      token: DEFAULT_ARGOCD_TOKEN,
    };
    const spec = validateStackSpec({
      name: 'web',
      environment: 'dev',
      owner: 'group:default/team-a',
      target: { provider: 'aws', accountId: ACCOUNT, region: 'us-east-1' },
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: { publicEndpoint: false },
        app: { image: STARTER_IMAGE, replicas: 2 },
      },
    });
    if (!spec.valid) throw new Error(JSON.stringify(spec.problems));
    const outputs = await provisionStack({
      spec: spec.spec,
      runId: 'task-1_web-dev',
      provider: sandboxProvider(sandbox, [], {
        gitops: {
          repository: new GithubGitOpsRepository(async () => gh(), {
            owner: 'acme',
            name: 'deployments',
            branch: 'main',
            cloneUrl: repo.data.clone_url,
          }),
          argoCd: hub,
        },
      }),
      checkpoint: checkpointStore(),
      onEvent: () => {},
    });
    clusterOutputs = outputs.cluster!;

    // The cluster's Resource, as Konductor's catalog module discovers it from EKS.
    const mutations: EntityProviderMutation[] = [];
    const provider = new EksClusterProvider({
      scopes: [{ accountId: ACCOUNT, regions: ['us-east-1'] }],
      clients: new AwsClientFactory({
        credentials: credentials,
        endpoint: sandbox.url,
      }),
      defaultOwner: 'group:default/platform-team',
      logger: mockServices.logger.mock(),
    });
    await provider.connect({
      applyMutation: async m => void mutations.push(m),
      refresh: async () => {},
    });
    await provider.refresh();
    clusterEntity = (mutations[0] as any).entities[0].entity;

    ({ server } = await startTestBackend({
      features: [
        kubernetesPlugin,
        kubernetesModuleKonductor,
        catalogServiceMock.factory({
          entities: [clusterEntity, component, shop],
        }),
        mockServices.rootConfig.factory({
          data: {
            aws: { accounts: ACCOUNTS },
            kubernetes: {
              serviceLocatorMethod: { type: 'catalogRelation' },
              clusterLocatorMethods: [
                { type: 'catalog', dangerouslyAllowClusterUrls: ['127.0.0.1'] },
              ],
              objectTypes: ['pods', 'replicasets', 'deployments', 'services'],
            },
            konductor: {
              aws: { endpoint: sandbox.url },
              apps: { gitops: { repoUrl: 'x', argocd: hub } },
            },
          },
        }),
        // Bob may read workloads but not use the proxy (logs, events), as the portal's policy says.
        mockServices.permissions.mock({
          authorize: async (requests, options) =>
            requests.map(r => ({
              result:
                r.permission.name === 'kubernetes.proxy' &&
                (options?.credentials.principal as any).userEntityRef ===
                  'user:default/bob'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })) as any,
        }).factory,
      ],
    }));
  });

  afterAll(() => sandbox?.stop());

  it('is marked private in the catalog, with its EKS ARN, and the portal cannot call it', async () => {
    await expect(
      (
        await kubeClient(sandbox, clusterOutputs, k8s.CoreV1Api)
      ).listNamespace(),
    ).rejects.toMatchObject({ message: 'fetch failed' });
    expect(clusterEntity.metadata.annotations).toMatchObject({
      'konductor.dev/kubernetes-endpoint': 'private',
      'konductor.dev/cloud-id': expect.stringMatching(
        /^arn:aws:eks:us-east-1:123456789012:cluster\//,
      ),
    });
  });

  it("shows the component's workloads, read through Argo CD", async () => {
    const res = await request(server)
      .post('/api/kubernetes/services/web')
      .set('Authorization', mockCredentials.user.header())
      .send({ entity: component, auth: {} });
    expect(res.status).toBe(200);
    const [cluster] = res.body.items;
    expect(cluster.cluster.name).toBe('web-dev-kubernetes');
    expect(cluster.errors).toEqual([]);
    const byType = (type: string) =>
      cluster.resources.find((r: any) => r.type === type).resources;
    expect(byType('deployments')).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({
          name: 'web',
          namespace: 'web-dev',
        }),
        status: expect.objectContaining({ availableReplicas: 2 }),
      }),
    ]);
    expect(byType('services').map((s: any) => s.metadata.name)).toEqual([
      'web',
    ]);
    expect(byType('replicasets')).toHaveLength(1);
    const pods = byType('pods');
    expect(pods).toHaveLength(2);
    for (const pod of pods)
      expect(pod).toMatchObject({
        metadata: { labels: { 'konductor.dev/stack': 'web-dev' } },
        status: { phase: 'Running' },
      });
  });

  it("selects by the component's labels: another component on the cluster finds nothing", async () => {
    const res = await request(server)
      .post('/api/kubernetes/services/shop')
      .set('Authorization', mockCredentials.user.header())
      .send({ entity: shop, auth: {} });
    expect(res.status).toBe(200);
    // Backstage leaves out a cluster where nothing of the component was found.
    expect(res.body.items).toEqual([]);
  });

  describe('its proxy', () => {
    const proxy = (path: string, user = mockCredentials.user()) =>
      request(server)
        .get(`/api/kubernetes/proxy${path}`)
        .set(
          'Authorization',
          mockCredentials.user.header(user.principal.userEntityRef),
        )
        .set('Backstage-Kubernetes-Cluster', 'web-dev-kubernetes');
    let pod: string;

    beforeAll(async () => {
      const res = await request(server)
        .post('/api/kubernetes/services/web')
        .set('Authorization', mockCredentials.user.header())
        .send({ entity: component, auth: {} });
      pod = res.body.items[0].resources.find((r: any) => r.type === 'pods')
        .resources[0].metadata.name;
    });

    it("answers a pod's log and its events through Argo CD", async () => {
      const log = await proxy(
        `/api/v1/namespaces/web-dev/pods/${pod}/log?container=web`,
      );
      expect(log.status).toBe(200);
      expect(log.text).toMatch(
        new RegExp(
          `^\\[sandbox\\] container web started from ${STARTER_IMAGE}`,
        ),
      );
      const events = await proxy(
        `/api/v1/namespaces/web-dev/events?fieldSelector=involvedObject.name=${pod}`,
      );
      expect(events.status).toBe(200);
      expect(events.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            reason: 'Started',
            involvedObject: expect.objectContaining({ name: pod }),
          }),
        ]),
      );
    });

    it('says what it cannot do, and what it does not know', async () => {
      const del = await request(server)
        .delete(`/api/kubernetes/proxy/api/v1/namespaces/web-dev/pods/${pod}`)
        .set('Authorization', mockCredentials.user.header())
        .set('Backstage-Kubernetes-Cluster', 'web-dev-kubernetes');
      expect(del.status).toBe(501);
      expect(del.body.error.message).toMatch(
        /its API endpoint is private, and the portal reaches it through the platform's Argo CD, which serves pods' logs and objects' events; DELETE/,
      );
      const missing = await proxy(
        '/api/v1/namespaces/kube-system/pods/coredns-1/log',
      );
      expect(missing.status).toBe(404);
    });

    it('refuses a user the policy does not give the proxy', async () => {
      const res = await proxy(
        `/api/v1/namespaces/web-dev/pods/${pod}/log?container=web`,
        mockCredentials.user('user:default/bob'),
      );
      expect(res.status).toBe(403);
      expect(res.text).not.toMatch(/sandbox/);
    });
  });
});
