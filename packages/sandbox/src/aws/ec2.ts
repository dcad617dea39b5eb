import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
} from '../types';
import { phaseOf, SandboxResource } from '../state';
import {
  AwsCaller,
  el,
  listMembers,
  listValues,
  queryParams,
  required,
  tagsOf,
  text,
  xml,
  zonesOf,
} from './protocol';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
type Params = Map<string, string>;

interface Vpc {
  vpcId: string;
  cidrBlock: string;
  tags: Record<string, string>;
}
interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  tags: Record<string, string>;
}
interface InternetGateway {
  internetGatewayId: string;
  vpcId?: string;
  tags: Record<string, string>;
}
interface ElasticIp {
  allocationId: string;
  publicIp: string;
  tags: Record<string, string>;
}
interface NatGateway {
  natGatewayId: string;
  subnetId: string;
  vpcId: string;
  allocationId: string;
  publicIp: string;
  tags: Record<string, string>;
}
interface RouteTable {
  routeTableId: string;
  vpcId: string;
  routes: { destination: string; natGatewayId?: string; gatewayId?: string }[];
  associations: { associationId: string; subnetId: string }[];
  tags: Record<string, string>;
}
interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Record<string, string>;
  ingress: {
    protocol: string;
    fromPort?: number;
    toPort?: number;
    cidrs: string[];
    groups: string[];
  }[];
}

// ---- CIDR arithmetic -------------------------------------------------------------------

/** Parses `a.b.c.d/n` into [network start, prefix length], or undefined when it is not a CIDR. */
export function parseCidr(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(
    cidr ?? '',
  );
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some(o => o > 255) || bits > 32) return undefined;
  const ip =
    ((octets[0] << 24) >>> 0) +
    (octets[1] << 16) +
    (octets[2] << 8) +
    octets[3];
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) return undefined; // host bits set: not a network address
  return [ip, bits];
}

function contains(outer: [number, number], inner: [number, number]) {
  const size = 2 ** (32 - outer[1]);
  return (
    inner[1] >= outer[1] && inner[0] >= outer[0] && inner[0] < outer[0] + size
  );
}

function overlaps(a: [number, number], b: [number, number]) {
  return contains(a, b) || contains(b, a);
}

// ---- rendering ---------------------------------------------------------------------------

const tagSet = (tags: Record<string, string>) =>
  el(
    'tagSet',
    Object.entries(tags).map(([k, v]) =>
      el('item', text('key', k) + text('value', v)),
    ),
  );

function renderVpc(r: SandboxResource<Vpc>, account: string) {
  const v = r.data;
  return (
    el('vpcId', v.vpcId) +
    el('ownerId', account) +
    el('state', phaseOf(r) === 'creating' ? 'pending' : 'available') +
    el('cidrBlock', v.cidrBlock) +
    el('dhcpOptionsId', 'dopt-sandbox') +
    el('instanceTenancy', 'default') +
    el('isDefault', false) +
    tagSet(v.tags)
  );
}

function renderSubnet(s: Subnet, ctx: { account: string; used: number }) {
  const size = 2 ** (32 - parseCidr(s.cidrBlock)![1]);
  return (
    el('subnetId', s.subnetId) +
    el('state', 'available') +
    el('vpcId', s.vpcId) +
    el('cidrBlock', s.cidrBlock) +
    el('availableIpAddressCount', Math.max(size - 5 - ctx.used, 0)) +
    el('availabilityZone', s.availabilityZone) +
    el('defaultForAz', false) +
    el('mapPublicIpOnLaunch', false) +
    el('ownerId', ctx.account) +
    tagSet(s.tags)
  );
}

function renderGroup(g: SecurityGroup, account: string) {
  const perms = g.ingress.map(p =>
    el(
      'item',
      el('ipProtocol', p.protocol) +
        el('fromPort', p.fromPort) +
        el('toPort', p.toPort) +
        el(
          'groups',
          p.groups.map(id =>
            el('item', el('groupId', id) + el('userId', account)),
          ),
        ) +
        el(
          'ipRanges',
          p.cidrs.map(c => el('item', el('cidrIp', c))),
        ),
    ),
  );
  return (
    el('ownerId', account) +
    el('groupId', g.groupId) +
    text('groupName', g.groupName) +
    text('groupDescription', g.description) +
    el('vpcId', g.vpcId) +
    el('ipPermissions', perms) +
    el('ipPermissionsEgress', [
      el(
        'item',
        el('ipProtocol', '-1') +
          el('ipRanges', [el('item', el('cidrIp', '0.0.0.0/0'))]),
      ),
    ]) +
    tagSet(g.tags)
  );
}

function renderInternetGateway(g: InternetGateway, account: string) {
  return (
    el('internetGatewayId', g.internetGatewayId) +
    el('ownerId', account) +
    el(
      'attachmentSet',
      g.vpcId
        ? [el('item', el('vpcId', g.vpcId) + el('state', 'available'))]
        : [],
    ) +
    tagSet(g.tags)
  );
}

const natState = (r: SandboxResource<NatGateway>) =>
  ({
    creating: 'pending',
    active: 'available',
    failed: 'failed',
    deleting: 'deleting',
    gone: 'deleted',
  }[phaseOf(r)]);

function renderNatGateway(r: SandboxResource<NatGateway>) {
  const n = r.data;
  const state = natState(r);
  return (
    el('natGatewayId', n.natGatewayId) +
    el('subnetId', n.subnetId) +
    el('vpcId', n.vpcId) +
    el('state', state) +
    el('connectivityType', 'public') +
    el('createTime', new Date(r.createdAt).toISOString()) +
    (state === 'failed'
      ? el('failureCode', 'InternalError') +
        el(
          'failureMessage',
          'Network interface could not be created (sandbox fault injection).',
        )
      : '') +
    el('natGatewayAddressSet', [
      el(
        'item',
        el('allocationId', n.allocationId) +
          el('publicIp', n.publicIp) +
          el('isPrimary', true),
      ),
    ]) +
    tagSet(n.tags)
  );
}

function renderRouteTable(t: RouteTable, account: string) {
  return (
    el('routeTableId', t.routeTableId) +
    el('vpcId', t.vpcId) +
    el('ownerId', account) +
    el(
      'routeSet',
      t.routes.map(rt =>
        el(
          'item',
          el('destinationCidrBlock', rt.destination) +
            el('gatewayId', rt.gatewayId) +
            el('natGatewayId', rt.natGatewayId) +
            el('state', 'active') +
            el(
              'origin',
              rt.gatewayId === 'local' ? 'CreateRouteTable' : 'CreateRoute',
            ),
        ),
      ),
    ) +
    el(
      'associationSet',
      t.associations.map(a =>
        el(
          'item',
          el('routeTableAssociationId', a.associationId) +
            el('routeTableId', t.routeTableId) +
            el('subnetId', a.subnetId) +
            el('main', false) +
            el('associationState', el('state', 'associated')),
        ),
      ),
    ) +
    tagSet(t.tags)
  );
}

const response = (action: string, body: string) =>
  xml(
    `<${action}Response xmlns="${NS}"><requestId>${hexId(
      8,
    )}-sandbox</requestId>${body}</${action}Response>`,
  );

// ---- filters ---------------------------------------------------------------------------

/** Applies `Filter.N.Name`/`Filter.N.Value.N` to resources described by `fields`. */
function matchesFilters(
  params: Params,
  tags: Record<string, string>,
  fields: Record<string, string>,
) {
  for (const f of listMembers(params, 'Filter')) {
    const name = f.get('Name') ?? '';
    const values = [...f.entries()]
      .filter(([k]) => k.startsWith('Value.'))
      .map(([, v]) => v);
    let actual: string[];
    if (name.startsWith('tag:'))
      actual = name.slice(4) in tags ? [tags[name.slice(4)]] : [];
    else if (name === 'tag-key') actual = Object.keys(tags);
    else if (name in fields) actual = [fields[name]];
    else
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `The filter '${name}' is invalid`,
      );
    if (!actual.some(a => values.includes(a))) return false;
  }
  return true;
}

/**
 * What a Describe call selects: the resources named by `<idParam>.N` (each must exist, or
 * `notFound` is thrown) or all of them, narrowed by the request's filters.
 */
function describeSelection<T extends { tags: Record<string, string> }>(
  params: Params,
  idParam: string,
  all: SandboxResource<T>[],
  notFound: (id: string) => ServiceError,
  fields: (r: SandboxResource<T>) => Record<string, string>,
): SandboxResource<T>[] {
  const ids = listValues(params, idParam);
  const missing = ids.find(id => !all.some(r => r.id === id));
  if (missing) throw notFound(missing);
  return all.filter(
    r =>
      (!ids.length || ids.includes(r.id)) &&
      matchesFilters(params, r.data.tags, fields(r)),
  );
}

function tagSpecs(params: Params, resourceType: string) {
  const tags: Record<string, string> = {};
  for (const spec of listMembers(params, 'TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue;
    for (const [k, v] of spec) {
      const m = /^Tag\.(\d+)\.Key$/.exec(k);
      if (m) tags[v] = spec.get(`Tag.${m[1]}.Value`) ?? '';
    }
  }
  return tags;
}

// ---- the service -----------------------------------------------------------------------

/** EC2 (its own query protocol): VPCs, subnets, security groups, tags, availability zones. */
export async function handleEc2(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation = false,
): Promise<SandboxResponse> {
  const params = queryParams(req);
  const action = params.get('Action') ?? '';
  const scope = { account: caller.account, region: caller.region };
  const inScope = (r: SandboxResource) =>
    r.account === caller.account && r.region === caller.region;
  const vpcs = () => ctx.state.list<Vpc>('ec2', 'vpc').filter(inScope);
  const subnets = () => ctx.state.list<Subnet>('ec2', 'subnet').filter(inScope);
  const groups = () =>
    ctx.state.list<SecurityGroup>('ec2', 'security-group').filter(inScope);
  /** Stores a new EC2 resource of the caller's account and region. */
  const save = <T>(type: string, id: string, data: T) =>
    ctx.state.put<T>({
      service: 'ec2',
      type,
      id,
      ...scope,
      createdAt: Date.now(),
      data,
    });
  const igws = () =>
    ctx.state.list<InternetGateway>('ec2', 'internet-gateway').filter(inScope);
  const eips = () =>
    ctx.state.list<ElasticIp>('ec2', 'elastic-ip').filter(inScope);
  const nats = () =>
    ctx.state.list<NatGateway>('ec2', 'nat-gateway').filter(inScope);
  const routeTables = () =>
    ctx.state.list<RouteTable>('ec2', 'route-table').filter(inScope);
  const liveNats = () => nats().filter(r => phaseOf(r) !== 'deleting');
  const findIn = <T>(
    list: SandboxResource<T>[],
    id: string,
    code: string,
    what: string,
  ) => {
    const r = list.find(x => x.id === id);
    if (!r)
      throw new ServiceError(400, code, `The ${what} '${id}' does not exist`);
    return r;
  };
  const findVpc = (id: string) => {
    const r = ctx.state.get<Vpc>('ec2', 'vpc', id);
    if (!r || !inScope(r))
      throw new ServiceError(
        400,
        'InvalidVpcID.NotFound',
        `The vpc ID '${id}' does not exist`,
      );
    return r;
  };

  switch (action) {
    case 'DescribeAvailabilityZones':
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

    case 'CreateVpc': {
      const cidr = required(params, 'CidrBlock');
      const parsed = parseCidr(cidr);
      if (!parsed || parsed[1] < 16 || parsed[1] > 28) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
        );
      }
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
      return response(action, el('vpc', renderVpc(r, caller.account)));
    }

    case 'DescribeVpcs': {
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
      return response(
        action,
        el(
          'vpcSet',
          found.map(r => el('item', renderVpc(r, caller.account))),
        ),
      );
    }

    case 'DeleteVpc': {
      const vpc = findVpc(required(params, 'VpcId'));
      if (
        subnets().some(s => s.data.vpcId === vpc.id) ||
        groups().some(g => g.data.vpcId === vpc.id) ||
        igws().some(g => g.data.vpcId === vpc.id) ||
        routeTables().some(t => t.data.vpcId === vpc.id) ||
        nats().some(n => n.data.vpcId === vpc.id)
      ) {
        throw new ServiceError(
          400,
          'DependencyViolation',
          `The vpc '${vpc.id}' has dependencies and cannot be deleted.`,
        );
      }
      ctx.state.remove('ec2', 'vpc', vpc.id);
      return response(action, el('return', true));
    }

    case 'CreateSubnet': {
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
    }

    case 'DescribeSubnets': {
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
      return response(
        action,
        el(
          'subnetSet',
          found.map(r =>
            el(
              'item',
              renderSubnet(r.data, { account: caller.account, used: 0 }),
            ),
          ),
        ),
      );
    }

    case 'DeleteSubnet': {
      const id = required(params, 'SubnetId');
      const s = subnets().find(r => r.id === id);
      if (!s)
        throw new ServiceError(
          400,
          'InvalidSubnetID.NotFound',
          `The subnet ID '${id}' does not exist`,
        );
      if (dependentsOfNetworkResource(ctx, id).length) {
        throw new ServiceError(
          400,
          'DependencyViolation',
          `The subnet '${id}' has dependencies and cannot be deleted.`,
        );
      }
      ctx.state.remove('ec2', 'subnet', id);
      return response(action, el('return', true));
    }

    case 'CreateSecurityGroup': {
      const name = required(params, 'GroupName');
      const description = required(params, 'GroupDescription');
      const vpc = findVpc(required(params, 'VpcId'));
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
    }

    case 'DescribeSecurityGroups': {
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
      return response(
        action,
        el(
          'securityGroupInfo',
          found.map(r => el('item', renderGroup(r.data, caller.account))),
        ),
      );
    }

    case 'AuthorizeSecurityGroupIngress': {
      const id = required(params, 'GroupId');
      const g = groups().find(r => r.id === id);
      if (!g)
        throw new ServiceError(
          400,
          'InvalidGroup.NotFound',
          `The security group '${id}' does not exist`,
        );
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
    }

    case 'DeleteSecurityGroup': {
      const id = required(params, 'GroupId');
      const g = groups().find(r => r.id === id);
      if (!g)
        throw new ServiceError(
          400,
          'InvalidGroup.NotFound',
          `The security group '${id}' does not exist`,
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
    }

    case 'CreateInternetGateway': {
      const id = `igw-${hexId(17)}`;
      const g: InternetGateway = {
        internetGatewayId: id,
        tags: tagSpecs(params, 'internet-gateway'),
      };
      save('internet-gateway', id, g);
      return response(
        action,
        el('internetGateway', renderInternetGateway(g, caller.account)),
      );
    }

    case 'AttachInternetGateway': {
      const g = findIn(
        igws(),
        required(params, 'InternetGatewayId'),
        'InvalidInternetGatewayID.NotFound',
        'internet gateway ID',
      );
      const vpc = findVpc(required(params, 'VpcId'));
      if (g.data.vpcId)
        throw new ServiceError(
          400,
          'Resource.AlreadyAssociated',
          `resource ${g.id} is already attached to network ${g.data.vpcId}`,
        );
      if (igws().some(x => x.data.vpcId === vpc.id))
        throw new ServiceError(
          400,
          'Resource.AlreadyAssociated',
          `network ${vpc.id} already has an internet gateway attached`,
        );
      g.data.vpcId = vpc.id;
      ctx.state.put(g);
      return response(action, el('return', true));
    }

    case 'DetachInternetGateway': {
      const g = findIn(
        igws(),
        required(params, 'InternetGatewayId'),
        'InvalidInternetGatewayID.NotFound',
        'internet gateway ID',
      );
      const vpcId = required(params, 'VpcId');
      if (g.data.vpcId !== vpcId)
        throw new ServiceError(
          400,
          'Gateway.NotAttached',
          `resource ${g.id} is not attached to network ${vpcId}`,
        );
      if (liveNats().some(n => n.data.vpcId === vpcId)) {
        throw new ServiceError(
          400,
          'DependencyViolation',
          `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        );
      }
      g.data.vpcId = undefined;
      ctx.state.put(g);
      return response(action, el('return', true));
    }

    case 'DeleteInternetGateway': {
      const g = findIn(
        igws(),
        required(params, 'InternetGatewayId'),
        'InvalidInternetGatewayID.NotFound',
        'internet gateway ID',
      );
      if (g.data.vpcId)
        throw new ServiceError(
          400,
          'DependencyViolation',
          `The internetGateway '${g.id}' has dependencies and cannot be deleted.`,
        );
      ctx.state.remove('ec2', 'internet-gateway', g.id);
      return response(action, el('return', true));
    }

    case 'DescribeInternetGateways': {
      const found = describeSelection(
        params,
        'InternetGatewayId',
        igws(),
        id =>
          new ServiceError(
            400,
            'InvalidInternetGatewayID.NotFound',
            `The internetGateway ID '${id}' does not exist`,
          ),
        r => ({
          'internet-gateway-id': r.id,
          ...(r.data.vpcId ? { 'attachment.vpc-id': r.data.vpcId } : {}),
        }),
      );
      return response(
        action,
        el(
          'internetGatewaySet',
          found.map(r =>
            el('item', renderInternetGateway(r.data, caller.account)),
          ),
        ),
      );
    }

    case 'AllocateAddress': {
      const id = `eipalloc-${hexId(17)}`;
      const n = ctx.state.next();
      const a: ElasticIp = {
        allocationId: id,
        publicIp: `198.51.100.${(n % 254) + 1}`,
        tags: tagSpecs(params, 'elastic-ip'),
      };
      save('elastic-ip', id, a);
      return response(
        action,
        el('publicIp', a.publicIp) +
          el('allocationId', id) +
          el('domain', 'vpc') +
          tagSet(a.tags),
      );
    }

    case 'DescribeAddresses': {
      const found = describeSelection(
        params,
        'AllocationId',
        eips(),
        id =>
          new ServiceError(
            400,
            'InvalidAllocationID.NotFound',
            `The allocation ID '${id}' does not exist`,
          ),
        r => ({
          'allocation-id': r.id,
          'public-ip': r.data.publicIp,
          domain: 'vpc',
        }),
      );
      return response(
        action,
        el(
          'addressesSet',
          found.map(r =>
            el(
              'item',
              el('publicIp', r.data.publicIp) +
                el('allocationId', r.id) +
                el('domain', 'vpc') +
                tagSet(r.data.tags),
            ),
          ),
        ),
      );
    }

    case 'ReleaseAddress': {
      const a = findIn(
        eips(),
        required(params, 'AllocationId'),
        'InvalidAllocationID.NotFound',
        'allocation ID',
      );
      if (nats().some(n => n.data.allocationId === a.id))
        throw new ServiceError(
          400,
          'InvalidIPAddress.InUse',
          `Address ${a.data.publicIp} is in use.`,
        );
      ctx.state.remove('ec2', 'elastic-ip', a.id);
      return response(action, el('return', true));
    }

    case 'CreateNatGateway': {
      const token = params.get('ClientToken');
      const tokenScope = `ec2/${caller.account}/${caller.region}`;
      const request = [...params.entries()]
        .filter(([k]) => !['ClientToken', 'Action', 'Version'].includes(k))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
      const used = token ? ctx.state.recallToken(tokenScope, token) : undefined;
      if (used) {
        // EC2's idempotency guide: the same token with other parameters is refused; with the same
        // ones, the first request's result is answered again, even once that gateway is deleted.
        if (used.request !== request)
          throw new ServiceError(
            400,
            'IdempotentParameterMismatch',
            `Client token ${token} was already used with different parameters.`,
          );
        const now =
          nats().find(n => n.id === used.result.id) ??
          ({ ...used.result, goneAt: 0 } as SandboxResource<NatGateway>); // deleted since
        return response(
          action,
          el('clientToken', token) + el('natGateway', renderNatGateway(now)),
        );
      }
      const subnet = findIn(
        subnets(),
        required(params, 'SubnetId'),
        'InvalidSubnetID.NotFound',
        'subnet ID',
      );
      const address = findIn(
        eips(),
        required(params, 'AllocationId'),
        'InvalidAllocationID.NotFound',
        'allocation ID',
      );
      if (liveNats().some(n => n.data.allocationId === address.id)) {
        throw new ServiceError(
          400,
          'Resource.AlreadyAssociated',
          `Elastic IP address [${address.id}] is already associated`,
        );
      }
      const id = `nat-${hexId(17)}`;
      const now = Date.now();
      const r = ctx.state.put<NatGateway>({
        service: 'ec2',
        type: 'nat-gateway',
        id,
        ...scope,
        createdAt: now,
        readyAt: now + ctx.durations.natGateway,
        fails: failLongOperation || undefined,
        data: {
          natGatewayId: id,
          subnetId: subnet.id,
          vpcId: subnet.data.vpcId,
          allocationId: address.id,
          publicIp: address.data.publicIp,
          tags: tagSpecs(params, 'natgateway'),
        },
      });
      if (token)
        ctx.state.rememberToken(tokenScope, token, {
          request,
          result: r,
          at: now,
        });
      return response(
        action,
        (token ? el('clientToken', token) : '') +
          el('natGateway', renderNatGateway(r)),
      );
    }

    case 'DescribeNatGateways': {
      const found = describeSelection(
        params,
        'NatGatewayId',
        nats(),
        id =>
          new ServiceError(
            400,
            'NatGatewayNotFound',
            `The Nat Gateway ${id} was not found`,
          ),
        r => ({
          'nat-gateway-id': r.id,
          'vpc-id': r.data.vpcId,
          'subnet-id': r.data.subnetId,
          state: natState(r),
        }),
      );
      return response(
        action,
        el(
          'natGatewaySet',
          found.map(r => el('item', renderNatGateway(r))),
        ),
      );
    }

    case 'DeleteNatGateway': {
      const r = findIn(
        nats(),
        required(params, 'NatGatewayId'),
        'NatGatewayNotFound',
        'NAT gateway',
      );
      if (r.goneAt === undefined) {
        r.goneAt = Date.now() + ctx.durations.natGatewayDelete;
        ctx.state.put(r);
      }
      return response(action, el('natGatewayId', r.id));
    }

    case 'CreateRouteTable': {
      const vpc = findVpc(required(params, 'VpcId'));
      const id = `rtb-${hexId(17)}`;
      const t: RouteTable = {
        routeTableId: id,
        vpcId: vpc.id,
        routes: [{ destination: vpc.data.cidrBlock, gatewayId: 'local' }],
        associations: [],
        tags: tagSpecs(params, 'route-table'),
      };
      save('route-table', id, t);
      return response(
        action,
        el('routeTable', renderRouteTable(t, caller.account)),
      );
    }

    case 'CreateRoute': {
      const t = findIn(
        routeTables(),
        required(params, 'RouteTableId'),
        'InvalidRouteTableID.NotFound',
        'routeTable ID',
      );
      const destination = required(params, 'DestinationCidrBlock');
      if (!parseCidr(destination))
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Value (${destination}) for parameter destinationCidrBlock is invalid.`,
        );
      const natGatewayId = params.get('NatGatewayId');
      const gatewayId = params.get('GatewayId');
      if (!natGatewayId && !gatewayId)
        throw new ServiceError(
          400,
          'MissingParameter',
          'A route needs a target: GatewayId or NatGatewayId',
        );
      if (natGatewayId)
        findIn(
          nats(),
          natGatewayId,
          'InvalidNatGatewayID.NotFound',
          'NAT gateway',
        );
      if (gatewayId)
        findIn(igws(), gatewayId, 'InvalidGatewayID.NotFound', 'gateway ID');
      if (t.data.routes.some(x => x.destination === destination)) {
        throw new ServiceError(
          400,
          'RouteAlreadyExists',
          `The route identified by ${destination} already exists.`,
        );
      }
      t.data.routes.push({ destination, natGatewayId, gatewayId });
      ctx.state.put(t);
      return response(action, el('return', true));
    }

    case 'AssociateRouteTable': {
      const t = findIn(
        routeTables(),
        required(params, 'RouteTableId'),
        'InvalidRouteTableID.NotFound',
        'routeTable ID',
      );
      const subnet = findIn(
        subnets(),
        required(params, 'SubnetId'),
        'InvalidSubnetID.NotFound',
        'subnet ID',
      );
      if (
        routeTables().some(x =>
          x.data.associations.some(a => a.subnetId === subnet.id),
        )
      ) {
        throw new ServiceError(
          400,
          'Resource.AlreadyAssociated',
          `the specified association for route table ${t.id} conflicts with an existing association`,
        );
      }
      const associationId = `rtbassoc-${hexId(17)}`;
      t.data.associations.push({ associationId, subnetId: subnet.id });
      ctx.state.put(t);
      return response(
        action,
        el('associationId', associationId) +
          el('associationState', el('state', 'associated')),
      );
    }

    case 'DisassociateRouteTable': {
      const id = required(params, 'AssociationId');
      const t = routeTables().find(x =>
        x.data.associations.some(a => a.associationId === id),
      );
      if (!t)
        throw new ServiceError(
          400,
          'InvalidAssociationID.NotFound',
          `The association ID '${id}' does not exist`,
        );
      t.data.associations = t.data.associations.filter(
        a => a.associationId !== id,
      );
      ctx.state.put(t);
      return response(action, el('return', true));
    }

    case 'DeleteRouteTable': {
      const t = findIn(
        routeTables(),
        required(params, 'RouteTableId'),
        'InvalidRouteTableID.NotFound',
        'routeTable ID',
      );
      if (t.data.associations.length)
        throw new ServiceError(
          400,
          'DependencyViolation',
          `The routeTable '${t.id}' has dependencies and cannot be deleted.`,
        );
      ctx.state.remove('ec2', 'route-table', t.id);
      return response(action, el('return', true));
    }

    case 'DescribeRouteTables': {
      const found = describeSelection(
        params,
        'RouteTableId',
        routeTables(),
        id =>
          new ServiceError(
            400,
            'InvalidRouteTableID.NotFound',
            `The routeTable ID '${id}' does not exist`,
          ),
        r => ({
          'route-table-id': r.id,
          'vpc-id': r.data.vpcId,
          ...(r.data.associations[0]
            ? { 'association.subnet-id': r.data.associations[0].subnetId }
            : {}),
        }),
      );
      return response(
        action,
        el(
          'routeTableSet',
          found.map(r => el('item', renderRouteTable(r.data, caller.account))),
        ),
      );
    }

    case 'CreateTags': {
      const ids = listValues(params, 'ResourceId');
      const tags = tagsOf(params, 'Tag');
      if (!ids.length)
        throw new ServiceError(
          400,
          'MissingParameter',
          'The request must contain the parameter resourceIdSet',
        );
      for (const id of ids) {
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
          throw new ServiceError(
            400,
            'InvalidID',
            `The ID '${id}' is not valid`,
          );
        Object.assign(r.data.tags, tags);
        ctx.state.put(r);
      }
      return response(action, el('return', true));
    }

    default:
      throw new ServiceError(
        400,
        'InvalidAction',
        `The action ${action} is not valid for this web service.`,
      );
  }
}

/** RDS instances, subnet groups and EKS clusters that use a subnet or security group. */
function dependentsOfNetworkResource(
  ctx: SandboxContext,
  id: string,
): SandboxResource[] {
  const uses = (r: SandboxResource) =>
    JSON.stringify(r.data).includes(`"${id}"`);
  return [
    ...ctx.state
      .list('ec2', 'nat-gateway')
      .filter(r => phaseOf(r) !== 'deleting'),
    ...ctx.state.list('rds', 'db-instance'),
    ...ctx.state.list('rds', 'db-subnet-group'),
    ...ctx.state.list('eks', 'cluster'),
    ...ctx.state.list('eks', 'nodegroup'),
  ].filter(uses);
}

export const ec2Operation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
