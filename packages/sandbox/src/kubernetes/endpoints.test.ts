import {
  CreateAccessEntryCommand,
  CreateClusterCommand,
  DescribeClusterCommand,
  EKSClient,
  type VpcConfigRequest,
} from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import {
  aws,
  clusterSubnets,
  eksKubeConfig,
  eksToken,
  eventually,
  useSandbox,
} from '../__testUtils__/sandbox';

describe('cluster endpoints reachable as EKS configures them', () => {
  // The portal calls from 203.0.113.10, outside every VPC.
  const sandbox = useSandbox({
    privateEndpoints: true,
    clientPublicIp: '203.0.113.10',
  });
  let subnetIds: string[];

  beforeAll(async () => {
    subnetIds = await clusterSubnets(sandbox(), '10.80');
  });

  /** Creates a cluster with `access` and answers a client of it as DescribeCluster gives it. */
  const clusterWith = async (
    name: string,
    access: VpcConfigRequest,
    authenticationMode?: 'API',
  ) => {
    const eks = new EKSClient(aws(sandbox()));
    await eks.send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds, ...access },
        accessConfig: authenticationMode && { authenticationMode },
      }),
    );
    const cluster = await eventually(async () => {
      const c = (await eks.send(new DescribeClusterCommand({ name }))).cluster!;
      return c.status === 'ACTIVE' ? c : undefined;
    });
    return {
      cluster,
      namespaces: async (token?: string) =>
        (await eksKubeConfig(cluster, token))
          .makeApiClient(k8s.CoreV1Api)
          .listNamespace()
          .then(l => l.items.length),
    };
  };

  it('takes no call from outside the VPC on a private endpoint, and every call on a public one', async () => {
    const closed = await clusterWith('closed', {
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
    });
    expect(closed.cluster.resourcesVpcConfig).toMatchObject({
      endpointPublicAccess: false,
      publicAccessCidrs: [],
    });
    // No answer at all: the connection goes nowhere.
    await expect(closed.namespaces()).rejects.toMatchObject({
      message: 'fetch failed',
      cause: expect.anything(),
    });
    const open = await clusterWith('open', {});
    expect(open.cluster.resourcesVpcConfig?.publicAccessCidrs).toEqual([
      '0.0.0.0/0',
    ]);
    await expect(open.namespaces()).resolves.toBe(4);
  });

  it('takes calls on a public endpoint only from its publicAccessCidrs, and refuses an endpoint nobody can reach', async () => {
    const elsewhere = await clusterWith('elsewhere', {
      publicAccessCidrs: ['198.51.100.0/24'],
    });
    await expect(elsewhere.namespaces()).rejects.toMatchObject({
      message: 'fetch failed',
      cause: expect.anything(),
    });
    const ours = await clusterWith('ours', {
      publicAccessCidrs: ['198.51.100.0/24', '203.0.113.0/24'],
      endpointPrivateAccess: true,
    });
    await expect(ours.namespaces()).resolves.toBe(4);
    const eks = new EKSClient(aws(sandbox()));
    await expect(
      eks.send(
        new CreateClusterCommand({
          name: 'nowhere',
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          resourcesVpcConfig: {
            subnetIds,
            endpointPublicAccess: false,
            endpointPrivateAccess: false,
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      eks.send(
        new CreateClusterCommand({
          name: 'badcidr',
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          resourcesVpcConfig: { subnetIds, publicAccessCidrs: ['10.0.0.1'] },
        }),
      ),
    ).rejects.toMatchObject({
      message: 'publicAccessCidrs: 10.0.0.1 is not a valid CIDR block.',
    });
  });

  it("takes tokens only from identities EKS maps to the cluster: its account's, or one with an access entry", async () => {
    const shared = await clusterWith('shared', {}, 'API');
    // Signed rightly, by another account's identity that has no access entry: 401.
    const other = await eksToken('shared', 'us-east-1', 'AKIA210987654321');
    await expect(shared.namespaces(other)).rejects.toMatchObject({
      code: 401,
    });
    await new EKSClient(aws(sandbox())).send(
      new CreateAccessEntryCommand({
        clusterName: 'shared',
        principalArn: 'arn:aws:iam::210987654321:user/konductor-sandbox',
      }),
    );
    await expect(shared.namespaces(other)).resolves.toBe(4);
    // A token the cluster's own account signed for another cluster is refused too.
    await expect(
      shared.namespaces(await eksToken('closed')),
    ).rejects.toMatchObject({ code: 401 });
  });
});
