import { PRICES } from './prices';
import { ResourceKind, StackSpec } from './stackSpec';
import { dependenciesOf, topologicalOrder } from './validation';

/** One resource of a plan: what will be created, after what, at what monthly cost. */
export interface PlannedResource {
  id: ResourceKind;
  kind: ResourceKind;
  dependsOn: ResourceKind[];
  /** What the resource will be created with, in words a developer reads. */
  summary: string;
  /** The cloud resources behind it. */
  creates: string[];
  monthlyCost: number;
}

/** The plan of a stack: resources in dependency order and the monthly cost estimate. */
export interface StackPlan {
  stack: string;
  environment: string;
  region: string;
  resources: PlannedResource[];
  /** Waves of resources that can be created in parallel, in order. */
  waves: ResourceKind[][];
  monthlyCost: number;
  currency: 'USD';
}

const round = (n: number) => Math.round(n * 100) / 100;

function describe(
  spec: StackSpec,
  kind: ResourceKind,
): Pick<PlannedResource, 'summary' | 'creates' | 'monthlyCost'> {
  const r = spec.resources;
  const h = PRICES.hoursPerMonth;
  switch (kind) {
    case 'network': {
      const n = r.network!;
      return {
        summary: `VPC ${n.cidr} with ${n.availabilityZones} private subnets`,
        creates: ['VPC', `${n.availabilityZones} subnets`],
        monthlyCost: round(n.natGateways * PRICES.natGatewayHourly * h),
      };
    }
    case 'database': {
      const d = r.database!;
      const factor = d.multiAz ? 2 : 1;
      const cost =
        factor *
        ((PRICES.rdsInstanceHourly[d.instanceClass] ?? 0) * h +
          d.storageGb * PRICES.rdsStorageGbMonthly);
      return {
        summary: `PostgreSQL ${d.engineVersion} on ${d.instanceClass}, ${
          d.storageGb
        } GB${d.encrypted ? ' encrypted' : ''}, ${
          d.backupRetentionDays
        }-day backups${d.multiAz ? ', multi-AZ' : ''}`,
        creates: ['security group', 'DB subnet group', 'RDS instance'],
        monthlyCost: round(cost),
      };
    }
    case 'secrets': {
      const s = r.secrets!;
      const count = (s.databaseCredentials ? 1 : 0) + s.generated.length;
      return {
        summary: `${count} secret${count === 1 ? '' : 's'}${
          s.rotationDays ? `, rotated every ${s.rotationDays} days` : ''
        }`,
        creates: [`${count} Secrets Manager secrets`],
        monthlyCost: round(count * PRICES.secretMonthly),
      };
    }
    case 'cluster': {
      const c = r.cluster!;
      const nodes =
        c.desiredNodes *
        (PRICES.ec2InstanceHourly[c.nodeInstanceType] ?? 0) *
        h;
      return {
        summary: `EKS ${c.kubernetesVersion}, ${c.desiredNodes} x ${
          c.nodeInstanceType
        } (${c.minNodes}-${c.maxNodes}), ${
          c.publicEndpoint ? 'public' : 'private'
        } endpoint`,
        creates: ['security group', 'EKS cluster', 'managed node group'],
        monthlyCost: round(PRICES.eksClusterHourly * h + nodes),
      };
    }
    case 'app': {
      const a = r.app!;
      return {
        summary: `${a.image}, ${a.replicas} replicas on port ${a.port}${
          a.tls ? ', HTTPS' : ''
        }`,
        creates: ['namespace', 'secret', 'deployment', 'service', 'ingress'],
        monthlyCost: 0,
      };
    }
    default:
      throw new Error(`unknown resource kind ${kind}`);
  }
}

/** The plan of a validated spec, computed without any cloud call. */
export function planStack(spec: StackSpec): StackPlan {
  const order = topologicalOrder(spec);
  const resources = order.map(kind => ({
    id: kind,
    kind,
    dependsOn: dependenciesOf(spec, kind),
    ...describe(spec, kind),
  }));
  const waves: ResourceKind[][] = [];
  const level = new Map<ResourceKind, number>();
  for (const r of resources) {
    const l = Math.max(-1, ...r.dependsOn.map(d => level.get(d)!)) + 1;
    level.set(r.id, l);
    (waves[l] ??= []).push(r.id);
  }
  return {
    stack: spec.name,
    environment: spec.environment,
    region: spec.aws.region,
    resources,
    waves,
    monthlyCost: round(resources.reduce((sum, r) => sum + r.monthlyCost, 0)),
    currency: 'USD',
  };
}

/**
 * How long creating each kind of resource typically takes in AWS, in seconds: the prior of the
 * run page's time-remaining estimate, which rescales it by how fast the run's finished resources
 * actually were.
 */
export const TYPICAL_CREATE_SECONDS: Record<ResourceKind, number> = {
  network: 150,
  database: 480,
  secrets: 10,
  cluster: 720,
  app: 90,
};
