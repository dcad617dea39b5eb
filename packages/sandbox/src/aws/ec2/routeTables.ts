import { ServiceError, hexId } from '../../types';
import { el, required } from '../protocol';
import { RouteTable, parseCidr, renderRouteTable } from './model';
import {
  Ec2Handlers,
  response,
  describePage,
  describeSelection,
  tagSpecs,
} from './call';

/** EC2 Route tables, their routes and subnet associations. */
export const routeTablesOperations: Ec2Handlers = {
  CreateRouteTable: ({ params, action, save, findVpc, caller }) => {
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
  },
  CreateRoute: ({ params, action, igws, nats, routeTables, findIn, ctx }) => {
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
  },
  AssociateRouteTable: ({
    params,
    action,
    subnets,
    routeTables,
    findIn,
    ctx,
  }) => {
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
  },
  DisassociateRouteTable: ({ params, action, routeTables, ctx }) => {
    const id = required(params, 'AssociationId');
    if (routeTables().some(x => x.data.mainAssociationId === id))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `cannot disassociate the main route table association ${id}`,
      );
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
  },
  DeleteRouteTable: ({ params, action, routeTables, findIn, ctx }) => {
    const t = findIn(
      routeTables(),
      required(params, 'RouteTableId'),
      'InvalidRouteTableID.NotFound',
      'routeTable ID',
    );
    // The main route table's association is one of its dependencies: it goes with its VPC.
    if (t.data.associations.length || t.data.mainAssociationId)
      throw new ServiceError(
        400,
        'DependencyViolation',
        `The routeTable '${t.id}' has dependencies and cannot be deleted.`,
      );
    ctx.state.remove('ec2', 'route-table', t.id);
    return response(action, el('return', true));
  },
  DescribeRouteTables: ({ params, action, routeTables, caller }) => {
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
        'association.subnet-id': r.data.associations.map(a => a.subnetId),
        'association.route-table-association-id': [
          ...(r.data.mainAssociationId ? [r.data.mainAssociationId] : []),
          ...r.data.associations.map(a => a.associationId),
        ],
        'association.main': [
          ...(r.data.mainAssociationId ? ['true'] : []),
          ...(r.data.associations.length ? ['false'] : []),
        ],
      }),
    );
    const page = describePage(params, found, { min: 5, max: 100 });
    return response(
      action,
      el(
        'routeTableSet',
        page.items.map(r =>
          el('item', renderRouteTable(r.data, caller.account)),
        ),
      ) + page.more,
    );
  },
};
