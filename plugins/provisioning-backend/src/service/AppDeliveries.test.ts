import {
  DEFAULT_ARGOCD_TOKEN,
  PLATFORM_HUB,
  type Sandbox,
  startSandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import type { ProvisioningStack } from '@konductor/plugin-provisioning-common';
import {
  type ArgoCdClient,
  AwsClientFactory,
  hubArgoCd,
} from '@konductor/plugin-provisioning-node';
import { AppDeliveries } from './AppDeliveries';

const HUB = {
  accountId: PLATFORM_HUB.accountId,
  region: PLATFORM_HUB.region,
  clusterName: PLATFORM_HUB.clusterName,
  capabilityName: PLATFORM_HUB.capabilityName,
  token: DEFAULT_ARGOCD_TOKEN,
};

const stack = (
  stackId: string,
  accountId = '123456789012',
): ProvisioningStack => ({
  accountId,
  region: 'us-east-1',
  stackId,
  ref: `${accountId}/us-east-1/${stackId}`,
  name: stackId.replace(/-dev$/, ''),
  environment: 'dev',
  owner: 'group:default/team-a',
  createdAt: new Date().toISOString(),
});

describe('AppDeliveries', () => {
  let sandbox: Sandbox;
  let clients: AwsClientFactory;
  let argo: ArgoCdClient;

  /** An Application as Konductor's GitOps delivery makes it, or with `labels` of another's. */
  const application = async (
    name: string,
    server: string,
    labels: Record<string, string> = { 'konductor.dev/stack': name },
  ) => {
    await argo.registerCluster(server, name);
    await argo.upsertApplication({
      metadata: { name, labels },
      spec: {
        project: 'default',
        source: {
          repoURL: `${sandbox.url}/git/acme/deployments.git`,
          path: `stacks/${name}`,
          targetRevision: 'main',
        },
        destination: { server, namespace: name },
      },
    });
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ platformHub: true });
    clients = new AwsClientFactory({
      credentials: async accountId => async () => ({
        accessKeyId: `AKIA${accountId}`,
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
      }),
      endpoint: sandbox.url,
    });
    ({ client: argo } = await hubArgoCd(clients, HUB));
    await application(
      'web-dev',
      'arn:aws:eks:us-east-1:123456789012:cluster/web-dev',
    );
    // Named like a stack, but made by someone else: no label.
    await application(
      'shop-dev',
      'arn:aws:eks:us-east-1:123456789012:cluster/shop-dev',
      {},
    );
  });

  afterAll(() => sandbox?.stop());

  it("reports a stack's app as Argo CD does", async () => {
    const delivery = await new AppDeliveries({ clients, hub: HUB }).of(
      stack('web-dev'),
    );
    const live = (await argo.application('web-dev'))!;
    expect(delivery).toMatchObject({
      application: 'web-dev',
      sync: { status: live.status!.sync!.status },
      health: { status: live.status!.health!.status },
      history: [],
    });
  });

  it("counts an Application as a stack's only when it is provably that stack's", async () => {
    const deliveries = new AppDeliveries({ clients, hub: HUB });
    // The same stack id in another account: its cluster is not where the Application deploys.
    await expect(
      deliveries.of(stack('web-dev', '111122223333')),
    ).rejects.toThrow('Stack web-dev has no app delivered through Argo CD');
    await expect(deliveries.of(stack('shop-dev'))).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    await expect(deliveries.of(stack('gone-dev'))).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });

  it('says when the portal has no Argo CD', async () => {
    await expect(
      new AppDeliveries({ clients }).of(stack('web-dev')),
    ).rejects.toThrow(
      'This portal does not deliver apps through Argo CD (konductor.apps.gitops is not set)',
    );
  });
});
