import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  CreateCapabilityCommand,
  CreateClusterCommand,
  DeleteCapabilityCommand,
  DescribeCapabilityCommand,
  ListCapabilitiesCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListClustersCommand,
  ListNodegroupsCommand,
  DescribeUpdateCommand,
  ListUpdatesCommand,
  UpdateNodegroupConfigCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { aws, eventually, inspect, useSandbox } from '../__testUtils__/sandbox';

describe('EKS', () => {
  const sandbox = useSandbox();
  const eks = () => new EKSClient(aws(sandbox()));
  let subnetIds: string[];
  let vpcId: string;
  const dnsHostnames = (Value: boolean) =>
    new EC2Client(aws(sandbox())).send(
      new ModifyVpcAttributeCommand({
        VpcId: vpcId,
        EnableDnsHostnames: { Value },
      }),
    );

  beforeAll(async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }),
    );
    vpcId = Vpc!.VpcId!;
    // Private endpoints need the VPC's DNS host names (off in a new VPC).
    await dnsHostnames(true);
    subnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      subnetIds.push(
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: Vpc!.VpcId,
              CidrBlock: `10.20.${i}.0/24`,
              AvailabilityZone: az,
            }),
          )
        ).Subnet!.SubnetId!,
      );
    }
  });

  const cluster = (
    name: string,
    token?: string,
    authenticationMode?: 'API' | 'API_AND_CONFIG_MAP',
  ) =>
    new CreateClusterCommand({
      name,
      version: '1.31',
      accessConfig: authenticationMode && { authenticationMode },
      roleArn: 'arn:aws:iam::123456789012:role/eks',
      clientRequestToken: token,
      resourcesVpcConfig: {
        subnetIds,
        endpointPublicAccess: false,
        endpointPrivateAccess: true,
      },
      logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
      encryptionConfig: [
        {
          resources: ['secrets'],
          provider: { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1' },
        },
      ],
      tags: { 'konductor:stack': 'shop' },
    });
  const waitFor = async (name: string, status: string) =>
    eventually(async () => {
      const c = (await eks().send(new DescribeClusterCommand({ name })))
        .cluster!;
      return c.status === status ? c : undefined;
    });

  it('creates a cluster CREATING -> ACTIVE with an endpoint serving the Kubernetes API', async () => {
    const { cluster: c } = await eks().send(cluster('shop', 'token-1'));
    expect(c).toMatchObject({
      name: 'shop',
      status: 'CREATING',
      version: '1.31',
      tags: { 'konductor:stack': 'shop' },
    });
    expect(c?.createdAt).toBeInstanceOf(Date);
    const active = await waitFor('shop', 'ACTIVE');
    // One opaque segment, as EKS's host name: no encoded slashes for clients to decode.
    expect(active.endpoint).toMatch(
      new RegExp(`^${sandbox().kubernetesUrl}/k8s/[0-9A-F]{32}$`),
    );
    expect(active.resourcesVpcConfig).toMatchObject({
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
      subnetIds,
    });
    expect(active.logging?.clusterLogging).toEqual([
      { types: ['api', 'audit'], enabled: true },
    ]);
  });

  it('honours clientRequestToken: a retry returns the cluster, another create is ResourceInUseException', async () => {
    const retried = await eks().send(cluster('shop', 'token-1'));
    expect(retried.cluster?.name).toBe('shop');
    await expect(eks().send(cluster('shop', 'token-2'))).rejects.toMatchObject({
      name: 'ResourceInUseException',
      $metadata: { httpStatusCode: 409 },
    });
    expect((await inspect(sandbox())).counts['eks/cluster']).toBe(1);
  });

  it('remembers a clientRequestToken after its cluster is deleted: other parameters are refused', async () => {
    await eks().send(cluster('once', 'token-once'));
    await eventually(async () =>
      (
        await eks().send(new DescribeClusterCommand({ name: 'once' }))
      ).cluster?.status === 'ACTIVE'
        ? true
        : undefined,
    );
    await eks().send(new DeleteClusterCommand({ name: 'once' }));
    await eventually(async () =>
      (await eks().send(new ListClustersCommand({}))).clusters?.includes('once')
        ? undefined
        : true,
    );
    const other = cluster('once', 'token-once');
    other.input.version = '1.30';
    await expect(eks().send(other)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('idempotent parameter mismatch'),
    });
    await eks().send(cluster('once', 'token-twice'));
    expect(
      (await eks().send(new DescribeClusterCommand({ name: 'once' }))).cluster
        ?.status,
    ).toBe('CREATING');
  });

  it('validates input and answers unknown clusters with ResourceNotFoundException', async () => {
    await expect(
      eks().send(
        new CreateClusterCommand({
          name: 'x',
          version: '1.10',
          roleArn: 'arn:aws:iam::1:role/r',
          resourcesVpcConfig: { subnetIds },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'unsupported Kubernetes version 1.10',
    });
    await expect(
      eks().send(
        new CreateClusterCommand({
          name: 'one-az',
          roleArn: 'arn:aws:iam::1:role/r',
          resourcesVpcConfig: { subnetIds: subnetIds.slice(0, 1) },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      eks().send(new DescribeClusterCommand({ name: 'nope' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('runs node groups, which keep the cluster from being deleted until they are gone', async () => {
    const ng = {
      clusterName: 'shop',
      nodegroupName: 'default',
      subnets: subnetIds,
      nodeRole: 'arn:aws:iam::123456789012:role/node',
      instanceTypes: ['t3.large'],
    };
    await expect(
      eks().send(
        new CreateNodegroupCommand({
          ...ng,
          scalingConfig: { minSize: 3, maxSize: 2, desiredSize: 2 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const { nodegroup } = await eks().send(
      new CreateNodegroupCommand({
        ...ng,
        scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 },
      }),
    );
    expect(nodegroup?.status).toBe('CREATING');
    await eventually(async () =>
      (
        await eks().send(
          new DescribeNodegroupCommand({
            clusterName: 'shop',
            nodegroupName: 'default',
          }),
        )
      ).nodegroup?.status === 'ACTIVE'
        ? true
        : undefined,
    );
    expect(
      (await eks().send(new ListNodegroupsCommand({ clusterName: 'shop' })))
        .nodegroups,
    ).toEqual(['default']);

    // Listed a page at a time, as EKS pages: maxResults 1-100, nextToken from the page before.
    await eks().send(
      new CreateNodegroupCommand({
        ...ng,
        nodegroupName: 'spare',
        scalingConfig: { minSize: 1, maxSize: 1, desiredSize: 1 },
      }),
    );
    const first = await eks().send(
      new ListNodegroupsCommand({ clusterName: 'shop', maxResults: 1 }),
    );
    expect(first.nodegroups).toEqual(['default']);
    const second = await eks().send(
      new ListNodegroupsCommand({
        clusterName: 'shop',
        maxResults: 1,
        nextToken: first.nextToken,
      }),
    );
    expect(second.nodegroups).toEqual(['spare']);
    expect(second.nextToken).toBeUndefined();
    await expect(
      eks().send(
        new ListNodegroupsCommand({ clusterName: 'shop', maxResults: 101 }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await eventually(async () =>
      (
        await eks().send(
          new DescribeNodegroupCommand({
            clusterName: 'shop',
            nodegroupName: 'spare',
          }),
        )
      ).nodegroup?.status === 'ACTIVE'
        ? true
        : undefined,
    );
    await eks().send(
      new DeleteNodegroupCommand({
        clusterName: 'shop',
        nodegroupName: 'spare',
      }),
    );
    await eventually(async () =>
      (
        await eks().send(new ListNodegroupsCommand({ clusterName: 'shop' }))
      ).nodegroups?.includes('spare')
        ? undefined
        : true,
    );

    // Scaling changes in place: UPDATING while an update DescribeUpdate follows is InProgress.
    const describe = async () =>
      (
        await eks().send(
          new DescribeNodegroupCommand({
            clusterName: 'shop',
            nodegroupName: 'default',
          }),
        )
      ).nodegroup!;
    await expect(
      eks().send(
        new UpdateNodegroupConfigCommand({
          clusterName: 'shop',
          nodegroupName: 'default',
          scalingConfig: { minSize: 4 },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message:
        "Minimum capacity 4 can't be greater than desired size 2 or maximum capacity 3.",
    });
    const { update } = await eks().send(
      new UpdateNodegroupConfigCommand({
        clusterName: 'shop',
        nodegroupName: 'default',
        scalingConfig: { minSize: 2, maxSize: 5 },
      }),
    );
    expect(update).toMatchObject({
      status: 'InProgress',
      type: 'ConfigUpdate',
      params: [
        { type: 'MinSize', value: '2' },
        { type: 'MaxSize', value: '5' },
      ],
    });
    expect(await describe()).toMatchObject({
      status: 'UPDATING',
      scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 },
    });
    await expect(
      eks().send(
        new UpdateNodegroupConfigCommand({
          clusterName: 'shop',
          nodegroupName: 'default',
          scalingConfig: { maxSize: 6 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    const done = await eventually(async () => {
      const u = (
        await eks().send(
          new DescribeUpdateCommand({
            name: 'shop',
            nodegroupName: 'default',
            updateId: update!.id!,
          }),
        )
      ).update!;
      return u.status === 'Successful' ? u : undefined;
    });
    expect(done.id).toBe(update!.id);
    expect(await describe()).toMatchObject({
      status: 'ACTIVE',
      scalingConfig: { minSize: 2, maxSize: 5, desiredSize: 2 },
    });
    expect(
      (
        await eks().send(
          new ListUpdatesCommand({ name: 'shop', nodegroupName: 'default' }),
        )
      ).updateIds,
    ).toEqual([update!.id]);
    await expect(
      eks().send(
        new DescribeUpdateCommand({
          name: 'shop',
          nodegroupName: 'default',
          updateId: 'not-an-update',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // A Kubernetes upgrade: one minor at a time, the control plane first, then the node group.
    const clusterUpdate = (version: string) =>
      eks().send(new UpdateClusterVersionCommand({ name: 'shop', version }));
    await expect(clusterUpdate('1.33')).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Unsupported Kubernetes minor version update from 1.31 to 1.33',
    });
    await expect(clusterUpdate('1.30')).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    const upgrade = (await clusterUpdate('1.32')).update!;
    expect(upgrade).toMatchObject({
      status: 'InProgress',
      type: 'VersionUpdate',
    });
    expect(
      (await eks().send(new DescribeClusterCommand({ name: 'shop' }))).cluster,
    ).toMatchObject({ status: 'UPDATING', version: '1.31' });
    await eventually(async () =>
      (
        await eks().send(
          new DescribeUpdateCommand({ name: 'shop', updateId: upgrade.id! }),
        )
      ).update?.status === 'Successful'
        ? true
        : undefined,
    );
    expect(
      (await eks().send(new DescribeClusterCommand({ name: 'shop' }))).cluster,
    ).toMatchObject({ status: 'ACTIVE', version: '1.32' });
    // The node group is still 1.31: the next minor waits for it.
    await expect(clusterUpdate('1.33')).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message:
        'Nodegroups default must be updated to match cluster version 1.32 before updating cluster version',
    });
    const nodes = (
      await eks().send(
        new UpdateNodegroupVersionCommand({
          clusterName: 'shop',
          nodegroupName: 'default',
        }),
      )
    ).update!;
    expect(nodes.params).toEqual([{ type: 'Version', value: '1.32' }]);
    await eventually(async () =>
      (await describe()).version === '1.32' ? true : undefined,
    );

    await expect(
      eks().send(new DeleteClusterCommand({ name: 'shop' })),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });

    await eks().send(
      new DeleteNodegroupCommand({
        clusterName: 'shop',
        nodegroupName: 'default',
      }),
    );
    await eventually(async () =>
      (
        await eks().send(new ListNodegroupsCommand({ clusterName: 'shop' }))
      ).nodegroups?.length === 0
        ? true
        : undefined,
    );
    expect(
      (await eks().send(new DeleteClusterCommand({ name: 'shop' }))).cluster
        ?.status,
    ).toBe('DELETING');
    await eventually(async () =>
      (await eks().send(new ListClustersCommand({}))).clusters?.includes('shop')
        ? undefined
        : true,
    );
  });

  it('fails a node group of a private cluster whose VPC has DNS host names off: its nodes cannot resolve the endpoint', async () => {
    await eks().send(cluster('dark'));
    await waitFor('dark', 'ACTIVE');
    await dnsHostnames(false);
    try {
      await eks().send(
        new CreateNodegroupCommand({
          clusterName: 'dark',
          nodegroupName: 'default',
          subnets: subnetIds,
          nodeRole: 'arn:aws:iam::123456789012:role/node',
        }),
      );
      const failed = await eventually(async () => {
        const n = (
          await eks().send(
            new DescribeNodegroupCommand({
              clusterName: 'dark',
              nodegroupName: 'default',
            }),
          )
        ).nodegroup!;
        return n.status === 'CREATING' ? undefined : n;
      });
      expect(failed.status).toBe('CREATE_FAILED');
      expect(failed.health?.issues?.[0]).toMatchObject({
        code: 'NodeCreationFailure',
        message: expect.stringContaining(
          `VPC ${vpcId} has enableDnsHostnames false`,
        ),
      });
    } finally {
      await dnsHostnames(true);
    }
  });

  it('runs an Argo CD capability beside an ACTIVE cluster, one of each type, with its server URL once ACTIVE', async () => {
    const argo = (
      capabilityName: string,
      extra: Record<string, unknown> = {},
    ) =>
      new CreateCapabilityCommand({
        clusterName: 'caps',
        capabilityName,
        type: 'ARGOCD',
        roleArn: 'arn:aws:iam::123456789012:role/argocd',
        deletePropagationPolicy: 'RETAIN',
        configuration: {
          argoCd: {
            awsIdc: {
              idcInstanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef',
            },
          },
        },
        ...extra,
      });
    const send = <T>(command: T) => eks().send(command as any) as any;
    // Not on a cluster that authenticates through the aws-auth ConfigMap alone (the API's default).
    await eks().send(cluster('configmap'));
    await waitFor('configmap', 'ACTIVE');
    await expect(
      send(argo('gitops', { clusterName: 'configmap' })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining(
        'capabilities need API or API_AND_CONFIG_MAP',
      ),
    });
    await eks().send(cluster('caps', undefined, 'API_AND_CONFIG_MAP'));
    // Not before the cluster is ACTIVE.
    await expect(send(argo('gitops'))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('only on an ACTIVE cluster'),
    });
    await waitFor('caps', 'ACTIVE');
    await expect(
      send(argo('gitops', { configuration: { argoCd: {} } })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(
        'configuration.argoCd.awsIdc.idcInstanceArn is required',
      ),
    });
    await expect(
      send(argo('gitops', { deletePropagationPolicy: 'DELETE' })),
    ).rejects.toMatchObject({
      message:
        'deletePropagationPolicy DELETE is not valid: the only supported value is RETAIN.',
    });
    const created = (await send(argo('gitops', { clientRequestToken: 't-1' })))
      .capability;
    expect(created).toMatchObject({
      capabilityName: 'gitops',
      clusterName: 'caps',
      type: 'ARGOCD',
      status: 'CREATING',
      configuration: { argoCd: { namespace: 'argocd' } },
    });
    expect(created.configuration.argoCd.serverUrl).toBeUndefined();
    // The same token and request: the same capability; the token with another request: refused.
    expect(
      (await send(argo('gitops', { clientRequestToken: 't-1' }))).capability
        .arn,
    ).toBe(created.arn);
    await expect(
      send(argo('other', { clientRequestToken: 't-1' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    // One capability of each type per cluster.
    await expect(send(argo('second'))).rejects.toMatchObject({
      name: 'ResourceInUseException',
      message: expect.stringContaining('already has a ARGOCD capability'),
    });
    const active = await eventually(async () => {
      const c = (
        await send(
          new DescribeCapabilityCommand({
            clusterName: 'caps',
            capabilityName: 'gitops',
          }),
        )
      ).capability;
      return c.status === 'ACTIVE' ? c : undefined;
    });
    expect(active.configuration.argoCd.serverUrl).toMatch(
      new RegExp(`^${sandbox().url}/argocd/[0-9a-f]{16}$`),
    );
    await send(
      new CreateCapabilityCommand({
        clusterName: 'caps',
        capabilityName: 'kro',
        type: 'KRO',
        roleArn: 'arn:aws:iam::123456789012:role/kro',
        deletePropagationPolicy: 'RETAIN',
      }),
    );
    // Each capability's role got an access entry on its cluster when the capability was created.
    expect(
      (await send(new ListAccessEntriesCommand({ clusterName: 'caps' })))
        .accessEntries,
    ).toEqual([
      'arn:aws:iam::123456789012:role/argocd',
      'arn:aws:iam::123456789012:role/kro',
    ]);
    // Paged, in name order.
    const first = await send(
      new ListCapabilitiesCommand({ clusterName: 'caps', maxResults: 1 }),
    );
    expect(first.capabilities.map((c: any) => c.capabilityName)).toEqual([
      'gitops',
    ]);
    const second = await send(
      new ListCapabilitiesCommand({
        clusterName: 'caps',
        maxResults: 1,
        nextToken: first.nextToken,
      }),
    );
    expect(second).toMatchObject({
      capabilities: [{ capabilityName: 'kro', type: 'KRO' }],
    });
    expect(second.nextToken).toBeUndefined();
    // A capability still being created cannot be deleted; an active one goes DELETING, then away.
    await expect(
      send(
        new DeleteCapabilityCommand({
          clusterName: 'caps',
          capabilityName: 'kro',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    expect(
      (
        await send(
          new DeleteCapabilityCommand({
            clusterName: 'caps',
            capabilityName: 'gitops',
          }),
        )
      ).capability.status,
    ).toBe('DELETING');
    await eventually(async () =>
      send(
        new DescribeCapabilityCommand({
          clusterName: 'caps',
          capabilityName: 'gitops',
        }),
      ).then(
        () => undefined,
        (e: any) => (e.name === 'ResourceNotFoundException' ? true : undefined),
      ),
    );
    await expect(
      send(new ListCapabilitiesCommand({ clusterName: 'missing' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lets principals in through access entries, on clusters whose authentication mode takes them', async () => {
    const send = <T>(command: T) => eks().send(command as any) as any;
    const principalArn = 'arn:aws:iam::123456789012:role/deployer';
    await send(cluster('entries', undefined, 'API'));
    await send(cluster('plain'));
    const active = await waitFor('entries', 'ACTIVE');
    expect(active.accessConfig?.authenticationMode).toBe('API');
    expect(
      (await waitFor('plain', 'ACTIVE')).accessConfig?.authenticationMode,
    ).toBe('CONFIG_MAP');
    await expect(
      send(
        new CreateAccessEntryCommand({
          clusterName: 'configmap',
          principalArn,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message:
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
    });
    const created = await send(
      new CreateAccessEntryCommand({ clusterName: 'entries', principalArn }),
    );
    expect(created.accessEntry).toMatchObject({
      principalArn,
      type: 'STANDARD',
      username:
        'arn:aws:sts::123456789012:assumed-role/deployer/{{SessionName}}',
    });
    await expect(
      send(
        new CreateAccessEntryCommand({ clusterName: 'entries', principalArn }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await expect(
      send(
        new AssociateAccessPolicyCommand({
          clusterName: 'entries',
          principalArn,
          policyArn:
            'arn:aws:eks::aws:cluster-access-policy/AmazonEKSGodPolicy',
          accessScope: { type: 'cluster' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await send(
      new AssociateAccessPolicyCommand({
        clusterName: 'entries',
        principalArn,
        policyArn:
          'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        accessScope: { type: 'cluster' },
      }),
    );
    expect(
      (
        await send(
          new ListAssociatedAccessPoliciesCommand({
            clusterName: 'entries',
            principalArn,
          }),
        )
      ).associatedAccessPolicies,
    ).toEqual([
      expect.objectContaining({
        policyArn:
          'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        accessScope: { type: 'cluster', namespaces: [] },
      }),
    ]);
    expect(
      (await send(new ListAccessEntriesCommand({ clusterName: 'entries' })))
        .accessEntries,
    ).toEqual([principalArn]);
    await send(
      new DeleteAccessEntryCommand({ clusterName: 'entries', principalArn }),
    );
    await expect(
      send(
        new DescribeAccessEntryCommand({
          clusterName: 'entries',
          principalArn,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('ends a cluster FAILED when a fail fault is injected', async () => {
    sandbox().faults.add({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'fail',
      count: 1,
    });
    await eks().send(cluster('doomed'));
    const failed = await waitFor('doomed', 'FAILED');
    expect(failed.health?.issues?.[0]?.code).toBe('ClusterUnreachable');
  });
});
