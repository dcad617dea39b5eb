import { ServiceError, hexId } from '../../types';
import { phaseOf, SandboxResource } from '../../state';
import { el, listValues, required, tagsOf, zonesOf } from '../protocol';
import {
  DEFAULT_GROUP,
  RouteTable,
  SecurityGroup,
  Vpc,
  parseCidr,
  renderVpc,
  vpcDns,
} from './model';
import {
  Ec2Handlers,
  response,
  describePage,
  describeSelection,
  tagSpecs,
  withTags,
} from './call';

/** EC2 VPCs, availability zones, and tags on any EC2 resource. */
export const vpcsOperations: Ec2Handlers = {
  DescribeAvailabilityZones: ({ action, caller }) => {
    return response(
      action,
      el(
        'availabilityZoneInfo',
        zonesOf(caller.region).map(z =>
          el(
            'item',
            el('zoneName', z.name) +
              el('zoneId', z.id) +
              el('zoneState', 'available') +
              el('regionName', caller.region) +
              el('zoneType', 'availability-zone') +
              el('optInStatus', 'opt-in-not-required'),
          ),
        ),
      ),
    );
  },
  CreateVpc: ({ params, action, scope, vpcs, save, ctx, caller }) => {
    const cidr = required(params, 'CidrBlock');
    const parsed = parseCidr(cidr);
    if (!parsed) {
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
      );
    }
    // A VPC's block is between /16 and /28.
    if (parsed[1] < 16 || parsed[1] > 28)
      throw new ServiceError(
        400,
        'InvalidVpc.Range',
        `The CIDR '${cidr}' is invalid.`,
      );
    if (vpcs().length >= ctx.vpcLimit)
      throw new ServiceError(
        400,
        'VpcLimitExceeded',
        'The maximum number of VPCs has been reached.',
      );
    const vpcId = `vpc-${hexId(17)}`;
    const now = Date.now();
    const r = ctx.state.put<Vpc>({
      service: 'ec2',
      type: 'vpc',
      id: vpcId,
      ...scope,
      createdAt: now,
      readyAt: now + ctx.durations.vpc,
      data: { vpcId, cidrBlock: cidr, tags: tagSpecs(params, 'vpc') },
    });
    // What EC2 makes with every VPC: its main route table and its default security group.
    const routeTableId = `rtb-${hexId(17)}`;
    save<RouteTable>('route-table', routeTableId, {
      routeTableId,
      vpcId,
      routes: [{ destination: cidr, gatewayId: 'local' }],
      associations: [],
      mainAssociationId: `rtbassoc-${hexId(17)}`,
      tags: {},
    });
    const groupId = `sg-${hexId(17)}`;
    save<SecurityGroup>('security-group', groupId, {
      groupId,
      groupName: DEFAULT_GROUP,
      description: 'default VPC security group',
      vpcId,
      tags: {},
      ingress: [{ protocol: '-1', cidrs: [], groups: [groupId] }],
    });
    return response(action, el('vpc', renderVpc(r, caller.account)));
  },
  DescribeVpcs: ({ params, action, vpcs, caller }) => {
    const found = describeSelection(
      params,
      'VpcId',
      vpcs(),
      id =>
        new ServiceError(
          400,
          'InvalidVpcID.NotFound',
          `The vpc ID '${id}' does not exist`,
        ),
      r => ({
        'vpc-id': r.id,
        'cidr-block': r.data.cidrBlock,
        cidr: r.data.cidrBlock,
        state: phaseOf(r) === 'creating' ? 'pending' : 'available',
      }),
    );
    const page = describePage(params, found);
    return response(
      action,
      el(
        'vpcSet',
        page.items.map(r => el('item', renderVpc(r, caller.account))),
      ) + page.more,
    );
  },
  DescribeVpcAttribute: ({ params, action, findVpc }) => {
    const vpc = findVpc(required(params, 'VpcId'));
    const attribute = required(params, 'Attribute');
    const values: Record<string, boolean> = {
      ...vpcDns(vpc.data),
      enableNetworkAddressUsageMetrics:
        vpc.data.enableNetworkAddressUsageMetrics ?? false,
    };
    if (!(attribute in values))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Value (${attribute}) for parameter attribute is invalid. Valid values: ${Object.keys(
          values,
        ).join(', ')}`,
      );
    return response(
      action,
      el('vpcId', vpc.id) + el(attribute, el('value', values[attribute])),
    );
  },
  // One attribute per request, as EC2 documents: DNS support and DNS host names never together,
  // and host names only where DNS support is on.
  ModifyVpcAttribute: ({ params, action, findVpc, ctx }) => {
    const vpc = findVpc(required(params, 'VpcId'));
    const given = [
      'EnableDnsSupport',
      'EnableDnsHostnames',
      'EnableNetworkAddressUsageMetrics',
    ].filter(a => params.has(`${a}.Value`));
    if (given.length !== 1)
      throw new ServiceError(
        400,
        given.length ? 'InvalidParameterCombination' : 'MissingParameter',
        given.length
          ? 'You cannot modify the DNS resolution and DNS hostnames attributes in the same request. Use separate requests for each attribute.'
          : 'The request must contain exactly one attribute to modify, such as EnableDnsHostnames.Value',
      );
    const [attribute] = given;
    const raw = params.get(`${attribute}.Value`)!;
    if (raw !== 'true' && raw !== 'false')
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Value (${raw}) for parameter ${attribute} is invalid: true or false`,
      );
    const value = raw === 'true';
    if (
      attribute === 'EnableDnsHostnames' &&
      value &&
      !vpcDns(vpc.data).enableDnsSupport
    )
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        'You can only enable DNS hostnames if you have enabled DNS support.',
      );
    const field = `${attribute[0].toLowerCase()}${attribute.slice(1)}` as
      | 'enableDnsSupport'
      | 'enableDnsHostnames'
      | 'enableNetworkAddressUsageMetrics';
    vpc.data[field] = value;
    ctx.state.put(vpc);
    return response(action, el('return', true));
  },
  DeleteVpc: ({
    params,
    action,
    subnets,
    groups,
    igws,
    nats,
    routeTables,
    findVpc,
    ctx,
  }) => {
    const vpc = findVpc(required(params, 'VpcId'));
    const own = <T extends { vpcId?: string }>(r: SandboxResource<T>) =>
      r.data.vpcId === vpc.id;
    // The main route table and the default security group go with the VPC; nothing else does.
    const defaults = [
      ...routeTables().filter(t => own(t) && t.data.mainAssociationId),
      ...groups().filter(g => own(g) && g.data.groupName === DEFAULT_GROUP),
    ];
    if (
      subnets().some(own) ||
      groups().some(g => own(g) && !defaults.includes(g)) ||
      igws().some(own) ||
      routeTables().some(t => own(t) && !defaults.includes(t)) ||
      nats().some(own)
    ) {
      throw new ServiceError(
        400,
        'DependencyViolation',
        `The vpc '${vpc.id}' has dependencies and cannot be deleted.`,
      );
    }
    for (const r of defaults) ctx.state.remove('ec2', r.type, r.id);
    ctx.state.remove('ec2', 'vpc', vpc.id);
    return response(action, el('return', true));
  },
  CreateTags: ({ params, action, inScope, ctx }) => {
    const ids = listValues(params, 'ResourceId');
    const tags = tagsOf(params, 'Tag');
    if (!ids.length)
      throw new ServiceError(
        400,
        'MissingParameter',
        'The request must contain the parameter resourceIdSet',
      );
    // Every resource is checked before any is tagged.
    const tagged = ids.map(id => {
      const prefixes: Record<string, string> = {
        igw: 'internet-gateway',
        eipalloc: 'elastic-ip',
        nat: 'nat-gateway',
        rtb: 'route-table',
        vpc: 'vpc',
        subnet: 'subnet',
        sg: 'security-group',
      };
      const type = prefixes[id.split('-')[0]];
      const r =
        type &&
        ctx.state.get<{ tags: Record<string, string> }>('ec2', type, id);
      if (!r || !inScope(r))
        throw new ServiceError(400, 'InvalidID', `The ID '${id}' is not valid`);
      return { r, tags: withTags(r.data.tags, tags) };
    });
    for (const { r, tags: all } of tagged) {
      r.data.tags = all;
      ctx.state.put(r);
    }
    return response(action, el('return', true));
  },
};
