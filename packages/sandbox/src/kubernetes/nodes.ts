import type { NatGateway, RouteTable } from '../aws/ec2/model';
import { phaseOf, SandboxState } from '../state';

/**
 * Whether the nodes of a cluster (`account/region/name`) reach the internet, where the registries
 * are: every subnet of its node groups routes `0.0.0.0/0` to an available NAT gateway. Nodes get
 * no public IP (the sandbox's subnets do not map one on launch), so a route to an internet
 * gateway does not do; a subnet without a route table of its own uses its VPC's main one.
 * A cluster without node groups has nowhere to run pods, which the sandbox does not model: its
 * pods are taken to pull.
 */
export function nodesReachInternet(
  state: SandboxState,
  clusterId: string,
): boolean {
  const subnets = state
    .list<{ subnets: string[] }>('eks', 'nodegroup')
    .filter(n => n.id.startsWith(`${clusterId}/`))
    .flatMap(n => n.data.subnets);
  const tables = state.list<RouteTable>('ec2', 'route-table');
  return subnets.every(subnetId => {
    const vpcId = state.get<{ vpcId: string }>('ec2', 'subnet', subnetId)?.data
      .vpcId;
    const table =
      tables.find(t =>
        t.data.associations.some(a => a.subnetId === subnetId),
      ) ?? tables.find(t => t.data.vpcId === vpcId && t.data.mainAssociationId);
    const route = table?.data.routes.find(
      r => r.destination === '0.0.0.0/0' && r.natGatewayId,
    );
    const nat =
      route && state.get<NatGateway>('ec2', 'nat-gateway', route.natGatewayId!);
    return !!nat && phaseOf(nat) === 'active';
  });
}
