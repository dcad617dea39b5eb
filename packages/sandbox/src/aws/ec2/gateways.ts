import { ServiceError, hexId } from '../../types';
import type { SandboxResource } from '../../state';
import { el, required } from '../protocol';
import {
  InternetGateway,
  ElasticIp,
  NatGateway,
  tagSet,
  renderInternetGateway,
  natState,
  renderNatGateway,
} from './model';
import {
  Ec2Handlers,
  response,
  describePage,
  describeSelection,
  tagSpecs,
} from './call';

/** EC2 Internet gateways, Elastic IPs and NAT gateways (asynchronous: pending, then available). */
export const gatewaysOperations: Ec2Handlers = {
  CreateInternetGateway: ({ params, action, save, caller }) => {
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
  },
  AttachInternetGateway: ({ params, action, igws, findIn, findVpc, ctx }) => {
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
  },
  DetachInternetGateway: ({ params, action, igws, liveNats, findIn, ctx }) => {
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
  },
  DeleteInternetGateway: ({ params, action, igws, findIn, ctx }) => {
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
  },
  DescribeInternetGateways: ({ params, action, igws, caller }) => {
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
        'attachment.vpc-id': r.data.vpcId,
      }),
    );
    const page = describePage(params, found);
    return response(
      action,
      el(
        'internetGatewaySet',
        page.items.map(r =>
          el('item', renderInternetGateway(r.data, caller.account)),
        ),
      ) + page.more,
    );
  },
  AllocateAddress: ({ params, action, save, ctx }) => {
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
  },
  DescribeAddresses: ({ params, action, eips }) => {
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
  },
  ReleaseAddress: ({ params, action, eips, nats, findIn, ctx }) => {
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
  },
  CreateNatGateway: ({
    params,
    action,
    scope,
    subnets,
    eips,
    nats,
    liveNats,
    findIn,
    ctx,
    caller,
    failLongOperation,
  }) => {
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
  },
  DescribeNatGateways: ({ params, action, nats }) => {
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
    const page = describePage(params, found);
    return response(
      action,
      el(
        'natGatewaySet',
        page.items.map(r => el('item', renderNatGateway(r))),
      ) + page.more,
    );
  },
  DeleteNatGateway: ({ params, action, nats, findIn, ctx }) => {
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
  },
};
