import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { aws, eventually, inspect, useSandbox } from '../__testUtils__/sandbox';

describe('EC2 internet gateways, Elastic IPs, NAT gateways and route tables', () => {
  const sandbox = useSandbox();
  const ec2 = () => new EC2Client(aws(sandbox()));

  it('builds a public route to the internet and a private route through a NAT gateway, then takes them down in order', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }),
    );
    const vpcId = Vpc!.VpcId!;
    const pub = (
      await ec2().send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.0.0/24' }),
      )
    ).Subnet!.SubnetId!;
    const priv = (
      await ec2().send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24' }),
      )
    ).Subnet!.SubnetId!;

    const igw = (
      await ec2().send(
        new CreateInternetGatewayCommand({
          TagSpecifications: [
            {
              ResourceType: 'internet-gateway',
              Tags: [{ Key: 'k', Value: 'v' }],
            },
          ],
        }),
      )
    ).InternetGateway!.InternetGatewayId!;
    await ec2().send(
      new AttachInternetGatewayCommand({
        InternetGatewayId: igw,
        VpcId: vpcId,
      }),
    );
    await expect(
      ec2().send(
        new AttachInternetGatewayCommand({
          InternetGatewayId: igw,
          VpcId: vpcId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
    const igws = await ec2().send(
      new DescribeInternetGatewaysCommand({
        Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }],
      }),
    );
    // A detached gateway in the same account neither matches nor makes the filter invalid.
    const detached = (await ec2().send(new CreateInternetGatewayCommand({})))
      .InternetGateway!.InternetGatewayId!;
    expect(
      (
        await ec2().send(
          new DescribeInternetGatewaysCommand({
            Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }],
          }),
        )
      ).InternetGateways?.map(g => g.InternetGatewayId),
    ).toEqual([igw]);
    await expect(
      ec2().send(
        new DescribeInternetGatewaysCommand({
          Filters: [{ Name: 'attachment.vpc', Values: [vpcId] }],
        }),
      ),
    ).rejects.toThrow("The filter 'attachment.vpc' is invalid");
    await ec2().send(
      new DeleteInternetGatewayCommand({ InternetGatewayId: detached }),
    );
    expect(igws.InternetGateways?.[0]).toMatchObject({
      InternetGatewayId: igw,
      Attachments: [{ VpcId: vpcId, State: 'available' }],
      Tags: [{ Key: 'k', Value: 'v' }],
    });

    const { AllocationId, PublicIp } = await ec2().send(
      new AllocateAddressCommand({ Domain: 'vpc' }),
    );
    expect(
      (
        await ec2().send(
          new DescribeAddressesCommand({ AllocationIds: [AllocationId!] }),
        )
      ).Addresses?.[0].PublicIp,
    ).toBe(PublicIp);
    const created = await ec2().send(
      new CreateNatGatewayCommand({
        SubnetId: pub,
        AllocationId,
        ClientToken: 'nat-1',
      }),
    );
    expect(created.NatGateway).toMatchObject({
      State: 'pending',
      VpcId: vpcId,
      NatGatewayAddresses: [{ AllocationId, PublicIp }],
    });
    const natId = created.NatGateway!.NatGatewayId!;
    expect(
      (
        await ec2().send(
          new CreateNatGatewayCommand({
            SubnetId: pub,
            AllocationId,
            ClientToken: 'nat-1',
          }),
        )
      ).NatGateway?.NatGatewayId,
    ).toBe(natId);
    await eventually(async () =>
      (
        await ec2().send(
          new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }),
        )
      ).NatGateways?.[0].State === 'available'
        ? true
        : undefined,
    );

    const publicTable = (
      await ec2().send(new CreateRouteTableCommand({ VpcId: vpcId }))
    ).RouteTable!.RouteTableId!;
    await ec2().send(
      new CreateRouteCommand({
        RouteTableId: publicTable,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: igw,
      }),
    );
    await ec2().send(
      new AssociateRouteTableCommand({
        RouteTableId: publicTable,
        SubnetId: pub,
      }),
    );
    const privateTable = (
      await ec2().send(new CreateRouteTableCommand({ VpcId: vpcId }))
    ).RouteTable!.RouteTableId!;
    await ec2().send(
      new CreateRouteCommand({
        RouteTableId: privateTable,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: natId,
      }),
    );
    await expect(
      ec2().send(
        new CreateRouteCommand({
          RouteTableId: privateTable,
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: natId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    const { AssociationId } = await ec2().send(
      new AssociateRouteTableCommand({
        RouteTableId: privateTable,
        SubnetId: priv,
      }),
    );
    const tables = (
      await ec2().send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'vpc-id', Values: [vpcId] }],
        }),
      )
    ).RouteTables!;
    expect(tables.find(t => t.RouteTableId === privateTable)?.Routes).toEqual([
      expect.objectContaining({
        DestinationCidrBlock: '10.50.0.0/16',
        GatewayId: 'local',
      }),
      expect.objectContaining({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: natId,
      }),
    ]);

    // Teardown in dependency order, each too-early step refused as AWS refuses it.
    await expect(
      ec2().send(new DeleteRouteTableCommand({ RouteTableId: privateTable })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    await expect(
      ec2().send(
        new DetachInternetGatewayCommand({
          InternetGatewayId: igw,
          VpcId: vpcId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    await expect(
      ec2().send(new DeleteSubnetCommand({ SubnetId: pub })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    await expect(
      ec2().send(new ReleaseAddressCommand({ AllocationId })),
    ).rejects.toMatchObject({ name: 'InvalidIPAddress.InUse' });
    await expect(
      ec2().send(new DeleteVpcCommand({ VpcId: vpcId })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });

    await ec2().send(new DeleteNatGatewayCommand({ NatGatewayId: natId }));
    await eventually(async () =>
      (
        await ec2().send(
          new DescribeNatGatewaysCommand({
            Filter: [{ Name: 'vpc-id', Values: [vpcId] }],
          }),
        )
      ).NatGateways?.length === 0
        ? true
        : undefined,
    );
    await ec2().send(new ReleaseAddressCommand({ AllocationId }));
    await ec2().send(new DisassociateRouteTableCommand({ AssociationId }));
    const publicAssociation = tables.find(t => t.RouteTableId === publicTable)!
      .Associations![0].RouteTableAssociationId!;
    await ec2().send(
      new DisassociateRouteTableCommand({ AssociationId: publicAssociation }),
    );
    for (const t of [publicTable, privateTable])
      await ec2().send(new DeleteRouteTableCommand({ RouteTableId: t }));
    await ec2().send(
      new DetachInternetGatewayCommand({
        InternetGatewayId: igw,
        VpcId: vpcId,
      }),
    );
    await ec2().send(
      new DeleteInternetGatewayCommand({ InternetGatewayId: igw }),
    );
    for (const s of [pub, priv])
      await ec2().send(new DeleteSubnetCommand({ SubnetId: s }));
    await ec2().send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect((await inspect(sandbox())).total).toBe(0);
  });

  it('ends a NAT gateway failed when a fail fault is injected', async () => {
    sandbox().faults.add({
      service: 'ec2',
      operation: 'CreateNatGateway',
      kind: 'fail',
      count: 1,
    });
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.51.0.0/16' }),
    );
    const subnet = (
      await ec2().send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: '10.51.0.0/24',
        }),
      )
    ).Subnet!.SubnetId!;
    const { AllocationId } = await ec2().send(
      new AllocateAddressCommand({ Domain: 'vpc' }),
    );
    const natId = (
      await ec2().send(
        new CreateNatGatewayCommand({ SubnetId: subnet, AllocationId }),
      )
    ).NatGateway!.NatGatewayId!;
    const state = await eventually(async () => {
      const s = (
        await ec2().send(
          new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }),
        )
      ).NatGateways?.[0].State;
      return s === 'pending' ? undefined : s;
    });
    expect(state).toBe('failed');
  });

  it('remembers a client token after its NAT gateway is deleted: the same request answers the deleted gateway, another is refused', async () => {
    const { Vpc } = await ec2().send(
      new CreateVpcCommand({ CidrBlock: '10.52.0.0/16' }),
    );
    const [first, second] = await Promise.all(
      ['10.52.0.0/24', '10.52.1.0/24'].map(
        async CidrBlock =>
          (
            await ec2().send(
              new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock }),
            )
          ).Subnet!.SubnetId!,
      ),
    );
    const { AllocationId } = await ec2().send(
      new AllocateAddressCommand({ Domain: 'vpc' }),
    );
    const request = { SubnetId: first, AllocationId, ClientToken: 'stack-nat' };
    const natId = (await ec2().send(new CreateNatGatewayCommand(request)))
      .NatGateway!.NatGatewayId!;
    await ec2().send(new DeleteNatGatewayCommand({ NatGatewayId: natId }));
    const inVpc = async () =>
      (
        await ec2().send(
          new DescribeNatGatewaysCommand({
            Filter: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }],
          }),
        )
      ).NatGateways ?? [];
    await eventually(async () => ((await inVpc()).length ? undefined : true));

    const again = (await ec2().send(new CreateNatGatewayCommand(request)))
      .NatGateway!;
    expect(again).toMatchObject({ NatGatewayId: natId, State: 'deleted' });
    await expect(
      ec2().send(new CreateNatGatewayCommand({ ...request, SubnetId: second })),
    ).rejects.toMatchObject({
      name: 'IdempotentParameterMismatch',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await inVpc()).toEqual([]);
  });
});
