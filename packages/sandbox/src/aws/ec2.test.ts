import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { aws, eventually, inspect, useSandbox } from '../__testUtils__/sandbox';

describe('EC2', () => {
  const sandbox = useSandbox();
  const ec2 = () => new EC2Client(aws(sandbox()));

  it('lists the availability zones of the region', async () => {
    const res = await ec2().send(new DescribeAvailabilityZonesCommand({}));
    expect(res.AvailabilityZones?.map(z => z.ZoneName)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
  });

  it("keeps a VPC's DNS attributes as EC2 does: host names off by default, one attribute per request, host names only with DNS support", async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }),
    );
    const VpcId = Vpc!.VpcId!;
    const read = async () => {
      const support = await ec2().send(
        new DescribeVpcAttributeCommand({
          VpcId,
          Attribute: 'enableDnsSupport',
        }),
      );
      const hostnames = await ec2().send(
        new DescribeVpcAttributeCommand({
          VpcId,
          Attribute: 'enableDnsHostnames',
        }),
      );
      return [
        support.EnableDnsSupport?.Value,
        hostnames.EnableDnsHostnames?.Value,
      ];
    };
    expect(await read()).toEqual([true, false]);
    await expect(
      ec2().send(
        new ModifyVpcAttributeCommand({
          VpcId,
          EnableDnsSupport: { Value: true },
          EnableDnsHostnames: { Value: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await ec2().send(
      new ModifyVpcAttributeCommand({
        VpcId,
        EnableDnsSupport: { Value: false },
      }),
    );
    await expect(
      ec2().send(
        new ModifyVpcAttributeCommand({
          VpcId,
          EnableDnsHostnames: { Value: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(await read()).toEqual([false, false]);
    await ec2().send(
      new ModifyVpcAttributeCommand({
        VpcId,
        EnableDnsSupport: { Value: true },
      }),
    );
    await ec2().send(
      new ModifyVpcAttributeCommand({
        VpcId,
        EnableDnsHostnames: { Value: true },
      }),
    );
    expect(await read()).toEqual([true, true]);
    // The third attribute EC2 keeps on a VPC, modified on its own too.
    await ec2().send(
      new ModifyVpcAttributeCommand({
        VpcId,
        EnableNetworkAddressUsageMetrics: { Value: true },
      }),
    );
    expect(
      (
        await ec2().send(
          new DescribeVpcAttributeCommand({
            VpcId,
            Attribute: 'enableNetworkAddressUsageMetrics',
          }),
        )
      ).EnableNetworkAddressUsageMetrics?.Value,
    ).toBe(true);
    await expect(
      ec2().send(
        new DescribeVpcAttributeCommand({
          VpcId,
          Attribute: 'enableDnsHostname' as any,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    // Another account's VPC is not found.
    await expect(
      new EC2Client(aws(sandbox(), 'AKIA999999999999')).send(
        new DescribeVpcAttributeCommand({
          VpcId,
          Attribute: 'enableDnsSupport',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
    await ec2().send(new DeleteVpcCommand({ VpcId }));
  });

  it('creates a tagged VPC that becomes available, and finds it by tag', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({
        CidrBlock: '10.1.0.0/16',
        TagSpecifications: [
          {
            ResourceType: 'vpc',
            Tags: [{ Key: 'konductor:stack', Value: 'shop' }],
          },
        ],
      }),
    );
    expect(Vpc?.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(Vpc?.State).toBe('pending');
    const available = await eventually(async () => {
      const res = await ec2().send(
        new DescribeVpcsCommand({
          Filters: [{ Name: 'tag:konductor:stack', Values: ['shop'] }],
        }),
      );
      return res.Vpcs?.[0]?.State === 'available' ? res.Vpcs : undefined;
    });
    expect(available.map(v => v.VpcId)).toEqual([Vpc?.VpcId]);
    expect(available[0].Tags).toEqual([
      { Key: 'konductor:stack', Value: 'shop' },
    ]);
    const none = await ec2().send(
      new DescribeVpcsCommand({
        Filters: [{ Name: 'tag:konductor:stack', Values: ['other'] }],
      }),
    );
    expect(none.Vpcs).toEqual([]);
    // Filter values take EC2's wildcards (`*`, `?`), case-sensitive, and `\` escapes them.
    const ids = async (...values: string[]) =>
      (
        await ec2().send(
          new DescribeVpcsCommand({
            Filters: [{ Name: 'tag:konductor:stack', Values: values }],
          }),
        )
      ).Vpcs?.map(v => v.VpcId);
    expect(await ids('sh*')).toEqual([Vpc?.VpcId]);
    expect(await ids('s?op')).toEqual([Vpc?.VpcId]);
    expect(await ids('S*')).toEqual([]);
    expect(await ids('sh\\*')).toEqual([]);
    expect(await ids('x*', '*op')).toEqual([Vpc?.VpcId]);
  });

  it('rejects a CIDR that does not parse, one outside /16 to /28, and an unknown VPC id, with EC2 error codes', async () => {
    await expect(
      ec2().send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/33' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('10.0.0.0/33'),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      ec2().send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' })),
    ).rejects.toMatchObject({
      name: 'InvalidVpc.Range',
      message: "The CIDR '10.0.0.0/29' is invalid.",
    });
    await expect(
      ec2().send(
        new DescribeVpcsCommand({ VpcIds: ['vpc-00000000000000000'] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
  });

  it('creates subnets inside the VPC range only, without overlaps, in real zones', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }),
    );
    const { Subnet } = await ec2().send(
      new CreateSubnetCommand({
        VpcId: Vpc!.VpcId,
        CidrBlock: '10.2.0.0/24',
        AvailabilityZone: 'us-east-1b',
      }),
    );
    expect(Subnet).toMatchObject({
      VpcId: Vpc!.VpcId,
      CidrBlock: '10.2.0.0/24',
      AvailabilityZone: 'us-east-1b',
      AvailableIpAddressCount: 251,
    });
    await expect(
      ec2().send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: '10.2.0.128/25',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSubnet.Conflict' });
    await expect(
      ec2().send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: '10.9.0.0/24',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSubnet.Range' });
    await expect(
      ec2().send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: '10.2.1.0/24',
          AvailabilityZone: 'eu-west-1a',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const listed = await ec2().send(
      new DescribeSubnetsCommand({
        Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }],
      }),
    );
    expect(listed.Subnets?.map(s => s.SubnetId)).toEqual([Subnet!.SubnetId]);
  });

  it('manages security groups and their ingress rules, tags, and deletion order', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.3.0.0/16' }),
    );
    const { Subnet } = await ec2().send(
      new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.3.0.0/24' }),
    );
    const { GroupId } = await ec2().send(
      new CreateSecurityGroupCommand({
        GroupName: 'db',
        Description: 'database',
        VpcId: Vpc!.VpcId,
      }),
    );
    await expect(
      ec2().send(
        new CreateSecurityGroupCommand({
          GroupName: 'db',
          Description: 'again',
          VpcId: Vpc!.VpcId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidGroup.Duplicate' });
    const rule = {
      GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 5432,
          ToPort: 5432,
          IpRanges: [{ CidrIp: '10.3.0.0/16' }],
        },
      ],
    };
    await ec2().send(new AuthorizeSecurityGroupIngressCommand(rule));
    await expect(
      ec2().send(new AuthorizeSecurityGroupIngressCommand(rule)),
    ).rejects.toMatchObject({ name: 'InvalidPermission.Duplicate' });
    await ec2().send(
      new CreateTagsCommand({
        Resources: [GroupId!],
        Tags: [{ Key: 'team', Value: 'payments' }],
      }),
    );
    const { SecurityGroups } = await ec2().send(
      new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }),
    );
    expect(SecurityGroups?.[0]).toMatchObject({
      GroupName: 'db',
      Tags: [{ Key: 'team', Value: 'payments' }],
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 5432,
          ToPort: 5432,
          IpRanges: [{ CidrIp: '10.3.0.0/16' }],
        },
      ],
    });

    await expect(
      ec2().send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    await ec2().send(new DeleteSecurityGroupCommand({ GroupId }));
    await ec2().send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
    await ec2().send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }));
    const left = await inspect(sandbox());
    expect(
      left.resources.filter(r =>
        [Vpc!.VpcId, Subnet!.SubnetId, GroupId].includes(r.id),
      ),
    ).toEqual([]);
  });

  // As EC2 documents (and moto's test_vpcs agrees): every VPC comes with a main route table and a
  // default security group, which its subnets use until given their own, which may not be deleted
  // alone, and which go with the VPC.
  it('makes a main route table and a default security group with each VPC, deleted only with it', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }),
    );
    const inVpc = [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }];
    const { RouteTables } = await ec2().send(
      new DescribeRouteTablesCommand({ Filters: inVpc }),
    );
    expect(RouteTables).toHaveLength(1);
    const [main] = RouteTables!;
    expect(main).toMatchObject({
      VpcId: Vpc!.VpcId,
      Routes: [{ DestinationCidrBlock: '10.4.0.0/16', GatewayId: 'local' }],
      Associations: [{ Main: true, RouteTableId: main.RouteTableId }],
    });
    expect(main.Associations![0].SubnetId).toBeUndefined();
    const mainOnly = await ec2().send(
      new DescribeRouteTablesCommand({
        Filters: [...inVpc, { Name: 'association.main', Values: ['true'] }],
      }),
    );
    expect(mainOnly.RouteTables!.map(t => t.RouteTableId)).toEqual([
      main.RouteTableId,
    ]);
    const { SecurityGroups } = await ec2().send(
      new DescribeSecurityGroupsCommand({ Filters: inVpc }),
    );
    expect(SecurityGroups).toEqual([
      expect.objectContaining({
        GroupName: 'default',
        Description: 'default VPC security group',
        IpPermissions: [
          expect.objectContaining({
            IpProtocol: '-1',
            UserIdGroupPairs: [
              expect.objectContaining({
                GroupId: SecurityGroups![0].GroupId,
              }),
            ],
          }),
        ],
      }),
    ]);

    await expect(
      ec2().send(
        new DeleteRouteTableCommand({ RouteTableId: main.RouteTableId }),
      ),
    ).rejects.toMatchObject({
      name: 'DependencyViolation',
      message: `The routeTable '${main.RouteTableId}' has dependencies and cannot be deleted.`,
    });
    await expect(
      ec2().send(
        new DisassociateRouteTableCommand({
          AssociationId: main.Associations![0].RouteTableAssociationId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      ec2().send(
        new DeleteSecurityGroupCommand({
          GroupId: SecurityGroups![0].GroupId,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'CannotDelete',
      message: `the specified group: "${
        SecurityGroups![0].GroupId
      }" name: "default" cannot be deleted by a user`,
    });
    await expect(
      ec2().send(
        new CreateSecurityGroupCommand({
          GroupName: 'default',
          Description: 'mine',
          VpcId: Vpc!.VpcId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });

    await ec2().send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }));
    const left = await inspect(sandbox());
    expect(
      left.resources.filter(r =>
        [main.RouteTableId, SecurityGroups![0].GroupId].includes(r.id),
      ),
    ).toEqual([]);
  });

  it("keeps EC2's tag limits: 50 per resource, key and value lengths, and aws: keys reserved", async () => {
    const tags = (n: number, prefix = 'k') =>
      Array.from({ length: n }, (_, i) => ({
        Key: `${prefix}${i}`,
        Value: 'v',
      }));
    await expect(
      ec2().send(
        new CreateVpcCommand({
          CidrBlock: '10.5.0.0/16',
          TagSpecifications: [{ ResourceType: 'vpc', Tags: tags(51) }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TagLimitExceeded' });
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({
        CidrBlock: '10.5.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: tags(49) }],
      }),
    );
    const tag = (Tags: { Key: string; Value: string }[]) =>
      ec2().send(new CreateTagsCommand({ Resources: [Vpc!.VpcId!], Tags }));
    // 49 and 2 more is 51; nothing of a refused request is kept.
    await expect(tag(tags(2, 'more'))).rejects.toMatchObject({
      name: 'TagLimitExceeded',
    });
    await expect(
      tag([{ Key: 'aws:cloudformation', Value: 'x' }]),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      tag([{ Key: 'k'.repeat(129), Value: 'x' }]),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      tag([{ Key: 'long', Value: 'v'.repeat(257) }]),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    // Overwriting a key does not add one.
    await tag([
      { Key: 'k0', Value: 'changed' },
      { Key: 'fiftieth', Value: 'x' },
    ]);
    const { Vpcs } = await ec2().send(
      new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }),
    );
    expect(Vpcs![0].Tags).toHaveLength(50);
    expect(Vpcs![0].Tags).toContainEqual({ Key: 'k0', Value: 'changed' });
  });

  it('keeps accounts apart: an access key naming another account sees none of these VPCs', async () => {
    const other = new EC2Client(aws(sandbox(), 'AKIA210987654321'));
    const res = await other.send(new DescribeVpcsCommand({}));
    expect(res.Vpcs).toEqual([]);
  });
});

describe('EC2 VPC quota', () => {
  const sandbox = useSandbox({ vpcLimit: 1 });

  it("refuses a VPC beyond the account's quota, as AWS does", async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    await expect(
      ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' })),
    ).rejects.toMatchObject({
      name: 'VpcLimitExceeded',
      message: 'The maximum number of VPCs has been reached.',
    });
  });
});

describe('EC2 Describe pagination', () => {
  const sandbox = useSandbox({ vpcLimit: 10 });

  it('pages by MaxResults (5 to 1000) and NextToken, which the SDK paginator follows', async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    for (let i = 0; i < 7; i++)
      await ec2.send(
        new CreateVpcCommand({
          CidrBlock: `10.${20 + i}.0.0/16`,
          TagSpecifications: [
            { ResourceType: 'vpc', Tags: [{ Key: 'set', Value: 'paged' }] },
          ],
        }),
      );
    const filtered = { Filters: [{ Name: 'tag:set', Values: ['paged'] }] };
    const first = await ec2.send(
      new DescribeVpcsCommand({ ...filtered, MaxResults: 5 }),
    );
    expect(first.Vpcs).toHaveLength(5);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await ec2.send(
      new DescribeVpcsCommand({
        ...filtered,
        MaxResults: 5,
        NextToken: first.NextToken,
      }),
    );
    expect(second.Vpcs).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
    const ids = [];
    for await (const page of paginateDescribeVpcs(
      { client: ec2, pageSize: 5 },
      filtered,
    ))
      ids.push(...page.Vpcs!.map(v => v.VpcId));
    expect(new Set(ids).size).toBe(7);

    await expect(
      ec2.send(new DescribeVpcsCommand({ MaxResults: 4 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    // A token belongs to the query it came from.
    await expect(
      ec2.send(
        new DescribeVpcsCommand({ MaxResults: 5, NextToken: first.NextToken }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPaginationToken' });
  });
});
