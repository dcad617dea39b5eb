import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  VpcAttributeName,
} from '@aws-sdk/client-ec2';
import { splitCidr } from '@konductor/plugin-provisioning-common';
import {
  network,
  type OutputsOf,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  Observation,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import type { AwsClients } from './AwsClients';
import { createEgress } from './egress';
import { refuseDifferences } from './differences';
import {
  adopt,
  ownershipProblem,
  stackTags,
  tagList,
  tagRecord,
} from './ownership';
import { removalOf, retryDependency } from './removal';
import { findVpc } from './securityGroups';

type Ctx = ResourceContext<SpecOf<typeof network>>;
type Outputs = OutputsOf<typeof network>;

/**
 * The stack's network: a VPC, a private subnet per availability zone and, with NAT gateways,
 * public subnets and the egress through them (`egress.ts`).
 */
export class NetworkHandler implements ResourceHandler<typeof network> {
  constructor(private readonly aws: AwsClients) {}

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const ec2 = await this.aws.client(EC2Client, ctx);
    const tags = stackTags(ctx);
    let vpc = await findVpc(this.aws, ctx);
    if (vpc) {
      adopt(ctx, `VPC ${vpc.VpcId}`, tagRecord(vpc.Tags));
      // Subnets and NAT gateways a spec adds are created below; another range cannot be.
      refuseDifferences(ctx, `VPC ${vpc.VpcId}`, [
        ['cidr', spec.cidr, vpc.CidrBlock],
      ]);
    } else {
      vpc = (
        await ec2.send(
          new CreateVpcCommand({
            CidrBlock: spec.cidr,
            TagSpecifications: [
              {
                ResourceType: 'vpc',
                Tags: tagList({ ...tags, Name: ctx.stackId }),
              },
            ],
          }),
        )
      ).Vpc!;
    }
    const vpcId = vpc.VpcId!;
    await this.aws.wait(ctx, `VPC ${vpcId}`, async () => {
      const v = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })))
        .Vpcs?.[0];
      return v?.State === 'available'
        ? { done: true }
        : { state: v?.State ?? 'unknown' };
    });
    // A private cluster endpoint is reached through the VPC's DNS: resolution and host names on
    // (a new VPC has host names off), one attribute per request as EC2 requires, resolution first.
    for (const [attribute, Attribute] of [
      ['EnableDnsSupport', VpcAttributeName.enableDnsSupport],
      ['EnableDnsHostnames', VpcAttributeName.enableDnsHostnames],
    ] as const) {
      const current = await ec2.send(
        new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }),
      );
      if (!current[attribute]?.Value)
        await ec2.send(
          new ModifyVpcAttributeCommand({
            VpcId: vpcId,
            [attribute]: { Value: true },
          }),
        );
    }

    const zones = (
      (await ec2.send(new DescribeAvailabilityZonesCommand({})))
        .AvailabilityZones ?? []
    )
      .filter(z => z.State === 'available')
      .map(z => z.ZoneName!)
      .slice(0, spec.availabilityZones);
    if (zones.length < spec.availabilityZones) {
      throw new Error(
        `Region ${ctx.spec.target.region} has ${zones.length} available zones; the network asks for ${spec.availabilityZones}`,
      );
    }
    // Private subnets first; with NAT gateways, as many public ones after them.
    const withNat = spec.natGateways > 0;
    const cidrs = splitCidr(
      spec.cidr,
      spec.availabilityZones * (withNat ? 2 : 1),
    );
    const existing =
      (
        await ec2.send(
          new DescribeSubnetsCommand({
            Filters: [{ Name: 'vpc-id', Values: [vpcId] }],
          }),
        )
      ).Subnets ?? [];
    const subnetIds: string[] = [];
    const publicSubnetIds: string[] = [];
    for (const [i, cidr] of cidrs.entries()) {
      const zone = i % spec.availabilityZones;
      const tier = i < spec.availabilityZones ? 'private' : 'public';
      const found = existing.find(s => s.CidrBlock === cidr);
      if (found) adopt(ctx, `subnet ${found.SubnetId}`, tagRecord(found.Tags));
      const subnet =
        found ??
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: vpcId,
              CidrBlock: cidr,
              AvailabilityZone: zones[zone],
              TagSpecifications: [
                {
                  ResourceType: 'subnet',
                  Tags: tagList({
                    ...tags,
                    Name: `${ctx.stackId}-${tier}-${zone + 1}`,
                  }),
                },
              ],
            }),
          )
        ).Subnet!;
      (tier === 'private' ? subnetIds : publicSubnetIds).push(subnet.SubnetId!);
    }
    if (!withNat) return { vpcId, subnetIds, cidr: spec.cidr };
    const natGatewayIds = await createEgress(
      this.aws,
      ctx,
      vpcId,
      subnetIds,
      publicSubnetIds,
    );
    return {
      vpcId,
      subnetIds,
      publicSubnetIds,
      natGatewayIds,
      cidr: spec.cidr,
    };
  }

  async exists(ctx: ResourceContext, outputs: Outputs) {
    const ec2 = await this.aws.client(EC2Client, ctx);
    return !!(
      await ec2.send(
        new DescribeVpcsCommand({ VpcIds: [String(outputs.vpcId)] }),
      )
    ).Vpcs?.length;
  }

  /**
   * The VPC as EC2 describes it, for a drift scan: one DescribeVpcs by the stack's tags. Its
   * range is what is read back; subnets and NAT gateways are not yet.
   */
  async observe(ctx: Ctx): Promise<Observation> {
    const vpc = await findVpc(this.aws, ctx);
    if (!vpc)
      return { exists: false, detail: `The VPC of ${ctx.stackId} is gone` };
    const problem = ownershipProblem(tagRecord(vpc.Tags), ctx);
    if (problem)
      return {
        exists: false,
        detail: `VPC ${vpc.VpcId} exists but ${problem}`,
      };
    return { exists: true, attributes: { cidr: vpc.CidrBlock } };
  }

  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    const ec2 = await this.aws.client(EC2Client, ctx);
    const removal = removalOf(ctx);
    const { mayDelete } = removal;
    const vpc = await findVpc(this.aws, ctx);
    const byStack = { Name: 'tag:konductor:stack', Values: [ctx.stackId] };
    const vpcGoes = !!vpc && mayDelete(`VPC ${vpc.VpcId}`, vpc.Tags);
    if (vpc) {
      const inVpc = { Name: 'vpc-id', Values: [vpc.VpcId!] };
      // NAT gateways first: they hold Elastic IPs and keep the gateway and subnets in use.
      const nats = (
        (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [inVpc] })))
          .NatGateways ?? []
      ).filter(
        n =>
          n.State !== 'deleting' &&
          n.State !== 'deleted' &&
          mayDelete(`NAT gateway ${n.NatGatewayId}`, n.Tags),
      );
      for (const n of nats) {
        await ec2.send(
          new DeleteNatGatewayCommand({ NatGatewayId: n.NatGatewayId }),
        );
      }
      const natIds = nats.map(n => n.NatGatewayId!);
      if (natIds.length)
        await this.aws.wait(
          ctx,
          `NAT gateways of ${vpc.VpcId} deletion`,
          async () => {
            // By filter, not by id: a deleted gateway is eventually not found at all.
            const left = (
              (
                await ec2.send(
                  new DescribeNatGatewaysCommand({
                    Filter: [{ Name: 'nat-gateway-id', Values: natIds }],
                  }),
                )
              ).NatGateways ?? []
            ).filter(x => x.State !== 'deleted');
            return left.length
              ? { state: `${left.length} deleting` }
              : { done: true };
          },
        );
      for (const table of (
        await ec2.send(new DescribeRouteTablesCommand({ Filters: [inVpc] }))
      ).RouteTables ?? []) {
        // The VPC's main route table goes with the VPC.
        if (table.Associations?.some(a => a.Main)) continue;
        if (!mayDelete(`route table ${table.RouteTableId}`, table.Tags))
          continue;
        for (const a of table.Associations ?? [])
          await ec2.send(
            new DisassociateRouteTableCommand({
              AssociationId: a.RouteTableAssociationId,
            }),
          );
        await retryDependency(
          this.aws,
          ctx,
          `route table ${table.RouteTableId}`,
          () =>
            ec2.send(
              new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }),
            ),
        );
      }
      for (const igw of (
        await ec2.send(
          new DescribeInternetGatewaysCommand({
            Filters: [{ Name: 'attachment.vpc-id', Values: [vpc.VpcId!] }],
          }),
        )
      ).InternetGateways ?? []) {
        if (!mayDelete(`internet gateway ${igw.InternetGatewayId}`, igw.Tags))
          continue;
        await retryDependency(
          this.aws,
          ctx,
          `internet gateway ${igw.InternetGatewayId} detachment`,
          () =>
            ec2.send(
              new DetachInternetGatewayCommand({
                InternetGatewayId: igw.InternetGatewayId,
                VpcId: vpc.VpcId,
              }),
            ),
        );
      }
      for (const s of (
        await ec2.send(new DescribeSubnetsCommand({ Filters: [inVpc] }))
      ).Subnets ?? []) {
        if (!mayDelete(`subnet ${s.SubnetId}`, s.Tags)) continue;
        await retryDependency(this.aws, ctx, `subnet ${s.SubnetId}`, () =>
          ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })),
        );
      }
    }
    // Tagged by the stack, found even when the VPC is already gone.
    for (const igw of (
      await ec2.send(
        new DescribeInternetGatewaysCommand({ Filters: [byStack] }),
      )
    ).InternetGateways ?? []) {
      if (!mayDelete(`internet gateway ${igw.InternetGatewayId}`, igw.Tags))
        continue;
      await retryDependency(
        this.aws,
        ctx,
        `internet gateway ${igw.InternetGatewayId}`,
        () =>
          ec2.send(
            new DeleteInternetGatewayCommand({
              InternetGatewayId: igw.InternetGatewayId,
            }),
          ),
      );
    }
    for (const a of (
      await ec2.send(new DescribeAddressesCommand({ Filters: [byStack] }))
    ).Addresses ?? []) {
      if (!mayDelete(`Elastic IP ${a.AllocationId}`, a.Tags)) continue;
      await retryDependency(this.aws, ctx, `Elastic IP ${a.AllocationId}`, () =>
        ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })),
      );
    }
    if (vpc && vpcGoes) {
      // A VPC that still holds something kept cannot be deleted (it would wait forever).
      if (removal.kept.size)
        removal.kept.add(
          `VPC ${vpc.VpcId}: it still holds what was kept above`,
        );
      else
        await retryDependency(this.aws, ctx, `VPC ${vpc.VpcId}`, () =>
          ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })),
        );
    }
    return removal.result();
  }
}
