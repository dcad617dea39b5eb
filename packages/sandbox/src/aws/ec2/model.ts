import { phaseOf, SandboxResource } from '../../state';
import { el, text } from '../protocol';

// EC2 resources as the sandbox keeps them, CIDR arithmetic, and their XML as EC2 renders it.

export const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  tags: Record<string, string>;
  /** DNS resolution through the Amazon provided DNS server; unset: on (a new VPC's default). */
  enableDnsSupport?: boolean;
  /** DNS host names for instances; unset: off (a new, non-default VPC's default). */
  enableDnsHostnames?: boolean;
  /** Network address usage metrics; unset: off. */
  enableNetworkAddressUsageMetrics?: boolean;
}

/** A VPC's DNS attributes, with a new non-default VPC's defaults where never modified. */
export const vpcDns = (v: Vpc) => ({
  enableDnsSupport: v.enableDnsSupport ?? true,
  enableDnsHostnames: v.enableDnsHostnames ?? false,
});
export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  tags: Record<string, string>;
}
export interface InternetGateway {
  internetGatewayId: string;
  vpcId?: string;
  tags: Record<string, string>;
}
export interface ElasticIp {
  allocationId: string;
  publicIp: string;
  tags: Record<string, string>;
}
export interface NatGateway {
  natGatewayId: string;
  subnetId: string;
  vpcId: string;
  allocationId: string;
  publicIp: string;
  tags: Record<string, string>;
}
export interface RouteTable {
  routeTableId: string;
  vpcId: string;
  routes: { destination: string; natGatewayId?: string; gatewayId?: string }[];
  associations: { associationId: string; subnetId: string }[];
  /**
   * The VPC's main association, on the route table CreateVpc makes: subnets without a table of
   * their own use it, and it goes only with its VPC.
   */
  mainAssociationId?: string;
  tags: Record<string, string>;
}
/** The name of the security group every VPC is created with; it goes only with its VPC. */
export const DEFAULT_GROUP = 'default';

export interface SecurityGroup {
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

export function contains(outer: [number, number], inner: [number, number]) {
  const size = 2 ** (32 - outer[1]);
  return (
    inner[1] >= outer[1] && inner[0] >= outer[0] && inner[0] < outer[0] + size
  );
}

export function overlaps(a: [number, number], b: [number, number]) {
  return contains(a, b) || contains(b, a);
}

// ---- rendering ---------------------------------------------------------------------------

export const tagSet = (tags: Record<string, string>) =>
  el(
    'tagSet',
    Object.entries(tags).map(([k, v]) =>
      el('item', text('key', k) + text('value', v)),
    ),
  );

export function renderVpc(r: SandboxResource<Vpc>, account: string) {
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

export function renderSubnet(
  s: Subnet,
  ctx: { account: string; used: number },
) {
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

export function renderGroup(g: SecurityGroup, account: string) {
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

export function renderInternetGateway(g: InternetGateway, account: string) {
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

export const natState = (r: SandboxResource<NatGateway>) =>
  ({
    creating: 'pending',
    active: 'available',
    failed: 'failed',
    deleting: 'deleting',
    gone: 'deleted',
  }[phaseOf(r)]);

export function renderNatGateway(r: SandboxResource<NatGateway>) {
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

export function renderRouteTable(t: RouteTable, account: string) {
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
    el('associationSet', [
      ...(t.mainAssociationId
        ? [
            el(
              'item',
              el('routeTableAssociationId', t.mainAssociationId) +
                el('routeTableId', t.routeTableId) +
                el('main', true) +
                el('associationState', el('state', 'associated')),
            ),
          ]
        : []),
      ...t.associations.map(a =>
        el(
          'item',
          el('routeTableAssociationId', a.associationId) +
            el('routeTableId', t.routeTableId) +
            el('subnetId', a.subnetId) +
            el('main', false) +
            el('associationState', el('state', 'associated')),
        ),
      ),
    ]) +
    tagSet(t.tags)
  );
}
