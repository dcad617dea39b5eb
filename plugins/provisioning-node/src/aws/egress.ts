import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { network, SpecOf } from '@konductor/plugin-provisioning-common';
import type { ResourceContext } from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring } from './errors';
import { adopt, stackTags, tagList, tagRecord } from './ownership';

/**
 * Outbound internet for private subnets: an internet gateway and a public route table for the
 * public subnets, `natGateways` NAT gateways (each with an Elastic IP) in them, and a private
 * route table per zone through the zone's NAT gateway.
 */
export async function createEgress(
  aws: AwsClients,
  ctx: ResourceContext,
  vpcId: string,
  privateSubnets: string[],
  publicSubnets: string[],
): Promise<string[]> {
  const ec2 = await aws.client(EC2Client, ctx);
  const count = (ctx.resource as SpecOf<typeof network>).natGateways;
  const tags = stackTags(ctx);
  const byStack = { Name: 'tag:konductor:stack', Values: [ctx.stackId] };

  let igw = (
    await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [byStack] }))
  ).InternetGateways?.[0];
  if (igw)
    adopt(
      ctx,
      `internet gateway ${igw.InternetGatewayId}`,
      tagRecord(igw.Tags),
    );
  igw ??= (
    await ec2.send(
      new CreateInternetGatewayCommand({
        TagSpecifications: [
          {
            ResourceType: 'internet-gateway',
            Tags: tagList({ ...tags, Name: ctx.stackId }),
          },
        ],
      }),
    )
  ).InternetGateway!;
  if (!igw.Attachments?.some(a => a.VpcId === vpcId)) {
    await ec2
      .send(
        new AttachInternetGatewayCommand({
          InternetGatewayId: igw.InternetGatewayId,
          VpcId: vpcId,
        }),
      )
      .catch(ignoring('Resource.AlreadyAssociated'));
  }
  await routeTable(
    aws,
    ctx,
    vpcId,
    'public',
    { GatewayId: igw.InternetGatewayId },
    publicSubnets,
  );

  const natGatewayIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const mine = [byStack, { Name: 'tag:konductor:nat', Values: [String(i)] }];
    const found = (
      await ec2.send(new DescribeAddressesCommand({ Filters: mine }))
    ).Addresses?.[0];
    if (found)
      adopt(ctx, `Elastic IP ${found.AllocationId}`, tagRecord(found.Tags));
    const address =
      found ??
      (await ec2.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: [
            {
              ResourceType: 'elastic-ip',
              Tags: tagList({ ...tags, 'konductor:nat': String(i) }),
            },
          ],
        }),
      ));
    const live = (
      await ec2.send(
        new DescribeNatGatewaysCommand({
          Filter: [
            ...mine,
            { Name: 'state', Values: ['pending', 'available'] },
          ],
        }),
      )
    ).NatGateways?.[0];
    if (live)
      adopt(ctx, `NAT gateway ${live.NatGatewayId}`, tagRecord(live.Tags));
    const nat =
      live ??
      (
        await ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: publicSubnets[i],
            AllocationId: address.AllocationId,
            TagSpecifications: [
              {
                ResourceType: 'natgateway',
                Tags: tagList({
                  ...tags,
                  'konductor:nat': String(i),
                  Name: `${ctx.stackId}-nat-${i + 1}`,
                }),
              },
            ],
          }),
        )
      ).NatGateway!;
    natGatewayIds.push(nat.NatGatewayId!);
  }
  for (const id of natGatewayIds) {
    await aws.wait(ctx, `NAT gateway ${id}`, async () => {
      const n = (
        await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))
      ).NatGateways?.[0];
      if (n?.State === 'available') return { done: true };
      if (n?.State === 'failed')
        throw new Error(
          `NAT gateway ${id} failed: ${
            n.FailureMessage ?? n.FailureCode ?? 'state failed'
          }`,
        );
      return { state: n?.State ?? 'unknown' };
    });
  }
  for (const [zone, subnetId] of privateSubnets.entries()) {
    await routeTable(
      aws,
      ctx,
      vpcId,
      `private-${zone + 1}`,
      { NatGatewayId: natGatewayIds[zone % count] },
      [subnetId],
    );
  }
  return natGatewayIds;
}

/** A route table of the stack named `<stackId>-<role>`, created once, routing 0.0.0.0/0 to `target`. */
async function routeTable(
  aws: AwsClients,
  ctx: ResourceContext,
  vpcId: string,
  role: string,
  target: { GatewayId?: string; NatGatewayId?: string },
  subnetIds: string[],
) {
  const ec2 = await aws.client(EC2Client, ctx);
  const name = `${ctx.stackId}-${role}`;
  const found = (
    await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'tag:Name', Values: [name] },
        ],
      }),
    )
  ).RouteTables?.[0];
  if (found)
    adopt(ctx, `route table ${found.RouteTableId}`, tagRecord(found.Tags));
  const table =
    found ??
    (
      await ec2.send(
        new CreateRouteTableCommand({
          VpcId: vpcId,
          TagSpecifications: [
            {
              ResourceType: 'route-table',
              Tags: tagList({ ...stackTags(ctx), Name: name }),
            },
          ],
        }),
      )
    ).RouteTable!;
  await ec2
    .send(
      new CreateRouteCommand({
        RouteTableId: table.RouteTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        ...target,
      }),
    )
    .catch(ignoring('RouteAlreadyExists'));
  for (const subnetId of subnetIds) {
    if (table.Associations?.some(a => a.SubnetId === subnetId)) continue;
    await ec2
      .send(
        new AssociateRouteTableCommand({
          RouteTableId: table.RouteTableId,
          SubnetId: subnetId,
        }),
      )
      .catch(ignoring('Resource.AlreadyAssociated'));
  }
}
