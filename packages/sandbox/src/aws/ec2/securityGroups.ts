import { ServiceError, hexId } from '../../types';
import { el, listMembers, required } from '../protocol';
import { DEFAULT_GROUP, SecurityGroup, tagSet, renderGroup } from './model';
import {
  Ec2Handlers,
  response,
  describePage,
  describeSelection,
  tagSpecs,
  dependentsOfNetworkResource,
} from './call';

/** EC2 Security groups and their ingress rules. */
export const securityGroupsOperations: Ec2Handlers = {
  CreateSecurityGroup: ({ params, action, groups, save, findVpc }) => {
    const name = required(params, 'GroupName');
    const description = required(params, 'GroupDescription');
    const vpc = findVpc(required(params, 'VpcId'));
    if (name === DEFAULT_GROUP)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Cannot use reserved security group name: ${DEFAULT_GROUP}`,
      );
    if (
      groups().some(g => g.data.vpcId === vpc.id && g.data.groupName === name)
    ) {
      throw new ServiceError(
        400,
        'InvalidGroup.Duplicate',
        `The security group '${name}' already exists for VPC '${vpc.id}'`,
      );
    }
    const groupId = `sg-${hexId(17)}`;
    const tags = tagSpecs(params, 'security-group');
    save<SecurityGroup>('security-group', groupId, {
      groupId,
      groupName: name,
      description,
      vpcId: vpc.id,
      tags,
      ingress: [],
    });
    return response(action, el('groupId', groupId) + tagSet(tags));
  },
  DescribeSecurityGroups: ({ params, action, groups, caller }) => {
    const found = describeSelection(
      params,
      'GroupId',
      groups(),
      id =>
        new ServiceError(
          400,
          'InvalidGroup.NotFound',
          `The security group '${id}' does not exist`,
        ),
      r => ({
        'vpc-id': r.data.vpcId,
        'group-id': r.id,
        'group-name': r.data.groupName,
      }),
    );
    const page = describePage(params, found);
    return response(
      action,
      el(
        'securityGroupInfo',
        page.items.map(r => el('item', renderGroup(r.data, caller.account))),
      ) + page.more,
    );
  },
  AuthorizeSecurityGroupIngress: ({ params, action, groups, findIn, ctx }) => {
    const id = required(params, 'GroupId');
    const g = findIn(groups(), id, 'InvalidGroup.NotFound', 'security group');
    const perms = listMembers(params, 'IpPermissions');
    if (!perms.length)
      throw new ServiceError(
        400,
        'MissingParameter',
        'No permissions given: IpPermissions is required',
      );
    for (const p of perms) {
      const rule = {
        protocol: p.get('IpProtocol') ?? '-1',
        fromPort: p.has('FromPort') ? Number(p.get('FromPort')) : undefined,
        toPort: p.has('ToPort') ? Number(p.get('ToPort')) : undefined,
        cidrs: [...p.entries()]
          .filter(([k]) => /^IpRanges\.\d+\.CidrIp$/.test(k))
          .map(([, v]) => v),
        groups: [...p.entries()]
          .filter(([k]) => /^Groups\.\d+\.GroupId$/.test(k))
          .map(([, v]) => v),
      };
      if (!['tcp', 'udp', 'icmp', '-1', '6', '17'].includes(rule.protocol)) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid value '${rule.protocol}' for IP protocol. Unknown protocol.`,
        );
      }
      if (
        g.data.ingress.some(x => JSON.stringify(x) === JSON.stringify(rule))
      ) {
        throw new ServiceError(
          400,
          'InvalidPermission.Duplicate',
          `the specified rule "peer: ${
            rule.cidrs.join(',') || rule.groups.join(',')
          }, ${rule.protocol.toUpperCase()}, from port: ${
            rule.fromPort
          }, to port: ${rule.toPort}, ALLOW" already exists`,
        );
      }
      g.data.ingress.push(rule);
    }
    ctx.state.put(g);
    return response(action, el('return', true));
  },
  DeleteSecurityGroup: ({ params, action, groups, findIn, ctx }) => {
    const id = required(params, 'GroupId');
    const g = findIn(groups(), id, 'InvalidGroup.NotFound', 'security group');
    if (g.data.groupName === DEFAULT_GROUP)
      throw new ServiceError(
        400,
        'CannotDelete',
        `the specified group: "${id}" name: "${DEFAULT_GROUP}" cannot be deleted by a user`,
      );
    if (dependentsOfNetworkResource(ctx, id).length) {
      throw new ServiceError(
        400,
        'DependencyViolation',
        `resource ${id} has a dependent object`,
      );
    }
    ctx.state.remove('ec2', 'security-group', id);
    return response(action, el('return', true));
  },
};
