import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { network } from '@konductor/plugin-provisioning-common';
import type { ResourceContext } from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring } from './errors';
import { adopt, isOwned, stackTags, tagList, tagRecord } from './ownership';
import { MayDelete, retryDependency } from './removal';

/** The name of the stack's network resource (`network`, unless the template named it). */
const networkName = (ctx: ResourceContext) =>
  Object.keys(ctx.spec.resources).find(
    n => ctx.spec.resources[n].kind === 'network',
  ) ?? 'network';

/** The VPC tagged as this stack's network, preferring the one carrying this stack's owner. */
export async function findVpc(aws: AwsClients, ctx: ResourceContext) {
  const ec2 = await aws.client(EC2Client, ctx);
  const { Vpcs } = await ec2.send(
    new DescribeVpcsCommand({
      Filters: [
        { Name: 'tag:konductor:stack', Values: [ctx.stackId] },
        { Name: 'tag:konductor:resource', Values: [networkName(ctx)] },
      ],
    }),
  );
  const vpcs = Vpcs ?? [];
  return vpcs.find(v => isOwned(tagRecord(v.Tags), ctx)) ?? vpcs[0];
}

/**
 * A security group of the stack (`<stackId>-<role>`) in its network, created once and then
 * adopted, with its ingress rule from inside the VPC ensured.
 */
export async function securityGroup(
  aws: AwsClients,
  ctx: ResourceContext,
  role: string,
  ingressPort?: number,
) {
  const ec2 = await aws.client(EC2Client, ctx);
  const { vpcId, cidr } = ctx.dependency(network);
  const name = `${ctx.stackId}-${role}`;
  const found = (
    await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: [name] },
        ],
      }),
    )
  ).SecurityGroups?.[0];
  if (found)
    adopt(ctx, `security group ${found.GroupId}`, tagRecord(found.Tags));
  const GroupId =
    found?.GroupId ??
    (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: `Konductor ${role} of ${ctx.stackId}`,
          VpcId: vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: tagList(stackTags(ctx)),
            },
          ],
        }),
      )
    ).GroupId!;
  // Ensured on every attempt, adopted group included: a run that stopped between creating the
  // group and authorizing its rule must not leave the port closed.
  if (ingressPort) {
    await ec2
      .send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: ingressPort,
              ToPort: ingressPort,
              IpRanges: [
                {
                  CidrIp: cidr,
                  Description: 'from inside the VPC',
                },
              ],
            },
          ],
        }),
      )
      .catch(ignoring('InvalidPermission.Duplicate'));
  }
  return GroupId!;
}

/** Deletes the stack's `<stackId>-<role>` security group when the removal may. */
export async function deleteSecurityGroup(
  aws: AwsClients,
  ctx: ResourceContext,
  role: string,
  mayDelete: MayDelete,
) {
  const ec2 = await aws.client(EC2Client, ctx);
  const vpc = await findVpc(aws, ctx);
  if (!vpc) return;
  const group = (
    await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc.VpcId!] },
          { Name: 'group-name', Values: [`${ctx.stackId}-${role}`] },
        ],
      }),
    )
  ).SecurityGroups?.[0];
  if (group && mayDelete(`security group ${group.GroupId}`, group.Tags))
    await retryDependency(aws, ctx, `security group ${group.GroupId}`, () =>
      ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })),
    );
}
