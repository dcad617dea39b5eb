import { ServiceError, hexId } from '../../types';
import { el, required, zonesOf } from '../protocol';
import { Subnet, parseCidr, contains, overlaps, renderSubnet } from './model';
import {
  Ec2Handlers,
  response,
  describePage,
  describeSelection,
  tagSpecs,
  dependentsOfNetworkResource,
} from './call';

/** EC2 Subnets: CIDRs inside their VPC, no overlaps, in use while something depends on them. */
export const subnetsOperations: Ec2Handlers = {
  CreateSubnet: ({ params, action, subnets, save, findVpc, caller }) => {
    const vpc = findVpc(required(params, 'VpcId'));
    const cidr = required(params, 'CidrBlock');
    const parsed = parseCidr(cidr);
    if (!parsed)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
      );
    if (!contains(parseCidr(vpc.data.cidrBlock)!, parsed) || parsed[1] > 28) {
      throw new ServiceError(
        400,
        'InvalidSubnet.Range',
        `The CIDR '${cidr}' is invalid.`,
      );
    }
    if (
      subnets().some(
        s =>
          s.data.vpcId === vpc.id &&
          overlaps(parseCidr(s.data.cidrBlock)!, parsed),
      )
    ) {
      throw new ServiceError(
        400,
        'InvalidSubnet.Conflict',
        `The CIDR '${cidr}' conflicts with another subnet`,
      );
    }
    const zones = zonesOf(caller.region).map(z => z.name);
    const az = params.get('AvailabilityZone') ?? zones[0];
    if (!zones.includes(az)) {
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(
          ', ',
        )}.`,
      );
    }
    const subnetId = `subnet-${hexId(17)}`;
    const s: Subnet = {
      subnetId,
      vpcId: vpc.id,
      cidrBlock: cidr,
      availabilityZone: az,
      tags: tagSpecs(params, 'subnet'),
    };
    save('subnet', subnetId, s);
    return response(
      action,
      el('subnet', renderSubnet(s, { account: caller.account, used: 0 })),
    );
  },
  DescribeSubnets: ({ params, action, subnets, caller }) => {
    const found = describeSelection(
      params,
      'SubnetId',
      subnets(),
      id =>
        new ServiceError(
          400,
          'InvalidSubnetID.NotFound',
          `The subnet ID '${id}' does not exist`,
        ),
      r => ({
        'vpc-id': r.data.vpcId,
        'subnet-id': r.id,
        'availability-zone': r.data.availabilityZone,
        'cidr-block': r.data.cidrBlock,
      }),
    );
    const page = describePage(params, found);
    return response(
      action,
      el(
        'subnetSet',
        page.items.map(r =>
          el(
            'item',
            renderSubnet(r.data, { account: caller.account, used: 0 }),
          ),
        ),
      ) + page.more,
    );
  },
  DeleteSubnet: ({ params, action, subnets, findIn, ctx }) => {
    const id = required(params, 'SubnetId');
    findIn(subnets(), id, 'InvalidSubnetID.NotFound', 'subnet ID');
    if (dependentsOfNetworkResource(ctx, id).length) {
      throw new ServiceError(
        400,
        'DependencyViolation',
        `The subnet '${id}' has dependencies and cannot be deleted.`,
      );
    }
    ctx.state.remove('ec2', 'subnet', id);
    return response(action, el('return', true));
  },
};
