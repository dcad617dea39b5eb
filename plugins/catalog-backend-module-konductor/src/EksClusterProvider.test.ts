import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockServices } from '@backstage/backend-test-utils';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import {
  startSandbox,
  type Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { AwsClientFactory } from '@konductor/plugin-provisioning-node';
import { EksClusterProvider } from './EksClusterProvider';

// Clusters are discovered through the real EKS client over HTTP, from the sandbox.
describe('EksClusterProvider', () => {
  let sandbox: Sandbox;
  const credentials = {
    accessKeyId: 'AKIA123456789012',
    secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ durations: { eksCluster: 0 } });
    const aws = { region: 'us-east-1', endpoint: sandbox.url, credentials };
    const ec2 = new EC2Client(aws);
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }),
    );
    const subnets = [];
    for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: `10.0.${i}.0/24`,
          AvailabilityZone: zone,
        }),
      );
      subnets.push(Subnet!.SubnetId!);
    }
    const eks = new EKSClient(aws);
    for (const [name, tags] of [
      [
        'shop-dev-eks',
        {
          'konductor:stack': 'shop-dev',
          'konductor:owner': 'group:default/payments',
        },
      ],
      ['legacy', {}],
    ] as const)
      await eks.send(
        new CreateClusterCommand({
          name,
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          // The legacy cluster's endpoint answers inside its VPC only.
          resourcesVpcConfig:
            name === 'legacy'
              ? {
                  subnetIds: subnets,
                  endpointPublicAccess: false,
                  endpointPrivateAccess: true,
                }
              : { subnetIds: subnets },
          tags: { ...tags },
        }),
      );
  });

  afterAll(() => sandbox?.stop());

  it('turns every cluster of the configured regions into a Resource the Kubernetes plugin can use', async () => {
    const mutations: EntityProviderMutation[] = [];
    const provider = new EksClusterProvider({
      scopes: [
        { accountId: '123456789012', regions: ['us-east-1', 'eu-west-1'] },
      ],
      clients: new AwsClientFactory({
        credentials: async () => async () => credentials,
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

    expect(mutations).toHaveLength(1);
    expect(mutations[0].type).toBe('full');
    const entities = (mutations[0] as any).entities.map((e: any) => e.entity);
    expect(entities.map((e: any) => e.metadata.name).sort()).toEqual([
      'eks-123456789012-us-east-1-legacy',
      // A stack's cluster, named after its stack: its components depend on it by that name.
      'shop-dev-kubernetes',
    ]);
    const shop = entities.find((e: any) => e.metadata.title === 'shop-dev-eks');
    expect(shop).toMatchObject({
      kind: 'Resource',
      metadata: {
        annotations: {
          'kubernetes.io/api-server': expect.stringContaining(
            `${sandbox.kubernetesUrl}/k8s/`,
          ),
          'kubernetes.io/api-server-certificate-authority': Buffer.from(
            sandbox.kubernetesCaPem,
          ).toString('base64'),
          'kubernetes.io/auth-provider': 'aws',
          'kubernetes.io/aws-account-id': '123456789012',
          'kubernetes.io/x-k8s-aws-id': 'shop-dev-eks',
          'kubernetes.io/skip-metrics-lookup': 'true',
          'konductor.dev/cloud-id':
            'arn:aws:eks:us-east-1:123456789012:cluster/shop-dev-eks',
          // EKS's default: a public endpoint.
          'konductor.dev/kubernetes-endpoint': 'public',
        },
      },
      spec: {
        type: 'kubernetes-cluster',
        owner: 'group:default/payments',
        system: 'shop-dev',
      },
    });
    const legacy = entities.find((e: any) => e.metadata.title === 'legacy');
    expect(
      legacy.metadata.annotations['konductor.dev/kubernetes-endpoint'],
    ).toBe('private');
    expect(legacy.spec).toEqual({
      type: 'kubernetes-cluster',
      owner: 'group:default/platform-team',
    });
  });
});
