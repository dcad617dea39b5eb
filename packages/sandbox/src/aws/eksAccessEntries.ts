import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  json,
} from '../types';
import type { SandboxResource, SandboxState } from '../state';
import type { AwsCaller } from './protocol';
import { type Cluster, invalid } from './eks';

/** The access policies EKS offers (`arn:aws:eks::aws:cluster-access-policy/...`). */
const POLICIES = [
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSEditPolicy',
  'AmazonEKSViewPolicy',
];
const POLICY_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';
/** The policies that let a principal create namespaces and write anywhere in the cluster. */
const CLUSTER_WRITERS = ['AmazonEKSClusterAdminPolicy', 'AmazonEKSAdminPolicy'];

export interface AccessEntry {
  cluster: string;
  principalArn: string;
  username: string;
  type: string;
  kubernetesGroups: string[];
  policies: {
    policyArn: string;
    accessScope: { type: string; namespaces?: string[] };
    associatedAt: number;
  }[];
  tags: Record<string, string>;
}

const entryId = (cluster: SandboxResource, principalArn: string) =>
  `${cluster.id}/${principalArn}`;

/** Whether `mode` lets a cluster hold access entries (EKS's API authentication). */
export const takesAccessEntries = (mode: string | undefined) =>
  mode === 'API' || mode === 'API_AND_CONFIG_MAP';

/** Adds `principalArn`'s access entry to `cluster` (as EKS does for a capability's own cluster). */
export function putAccessEntry(
  state: SandboxState,
  cluster: SandboxResource<Cluster>,
  principalArn: string,
  tags: Record<string, string> = {},
  type = 'STANDARD',
  kubernetesGroups: string[] = [],
) {
  return state.put<AccessEntry>({
    service: 'eks',
    type: 'access-entry',
    id: entryId(cluster, principalArn),
    account: cluster.account,
    region: cluster.region,
    createdAt: Date.now(),
    data: {
      cluster: cluster.data.name,
      principalArn,
      username: principalArn.includes(':role/')
        ? `${principalArn
            .replace(':iam::', ':sts::')
            .replace(':role/', ':assumed-role/')}/{{SessionName}}`
        : principalArn,
      type,
      kubernetesGroups,
      policies: [],
      tags,
    },
  });
}

/**
 * Whether `principalArn` may write to `cluster` as Argo CD's sync needs (create namespaces, write
 * any namespace): an access entry with a cluster-wide admin policy. Answers why not, or undefined.
 */
export function clusterWriteDenied(
  state: SandboxState,
  cluster: SandboxResource,
  principalArn: string,
): string | undefined {
  const entry = state.get<AccessEntry>(
    'eks',
    'access-entry',
    entryId(cluster, principalArn),
  );
  if (!entry)
    return 'the server has asked for the client to provide credentials';
  const writes = entry.data.policies.some(
    p =>
      CLUSTER_WRITERS.includes(p.policyArn.slice(POLICY_PREFIX.length)) &&
      p.accessScope.type === 'cluster',
  );
  return writes
    ? undefined
    : `namespaces is forbidden: User "${entry.data.username}" cannot create resource "namespaces" in API group "" at the cluster scope`;
}

function render(r: SandboxResource<AccessEntry>) {
  const e = r.data;
  return {
    clusterName: e.cluster,
    principalArn: e.principalArn,
    kubernetesGroups: e.kubernetesGroups,
    accessEntryArn: `arn:aws:eks:${r.region}:${r.account}:access-entry/${
      e.cluster
    }/${e.principalArn.includes(':role/') ? 'role' : 'user'}/${
      r.account
    }/${e.principalArn.split('/').pop()}`,
    createdAt: r.createdAt / 1000,
    modifiedAt: r.createdAt / 1000,
    tags: e.tags,
    username: e.username,
    type: e.type,
  };
}

const renderPolicy = (p: AccessEntry['policies'][number]) => ({
  policyArn: p.policyArn,
  accessScope: p.accessScope,
  associatedAt: p.associatedAt / 1000,
  modifiedAt: p.associatedAt / 1000,
});

/**
 * EKS access entries (REST-JSON, `/clusters/{name}/access-entries[/{principalArn}[/access-policies]]`):
 * created only on a cluster whose authentication mode takes them, one per principal, with the
 * access policies EKS offers associated at cluster or namespace scope.
 */
export function handleAccessEntries(
  op: string,
  parts: string[],
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  on: { cluster: SandboxResource<Cluster>; body: () => any },
): SandboxResponse {
  const cluster = on.cluster;
  const find = (principalArn: string) => {
    const r = ctx.state.get<AccessEntry>(
      'eks',
      'access-entry',
      entryId(cluster, principalArn),
    );
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.`,
        { clusterName: cluster.data.name },
      );
    return r;
  };
  if (!takesAccessEntries(cluster.data.authenticationMode))
    throw new ServiceError(
      400,
      'InvalidRequestException',
      "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
      { clusterName: cluster.data.name },
    );
  switch (op) {
    case 'CreateAccessEntry': {
      const b = on.body();
      if (!/^arn:aws:iam::\d{12}:(role|user)\/.+/.test(String(b.principalArn)))
        throw invalid('principalArn must be the ARN of an IAM role or user.');
      const type = b.type ?? 'STANDARD';
      if (
        !['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX'].includes(
          type,
        )
      )
        throw invalid(`type ${type} is not valid.`);
      if (
        ctx.state.get('eks', 'access-entry', entryId(cluster, b.principalArn))
      )
        throw new ServiceError(
          409,
          'ResourceInUseException',
          'The specified access entry resource is already in use on this cluster.',
          { clusterName: cluster.data.name },
        );
      const r = putAccessEntry(
        ctx.state,
        cluster,
        b.principalArn,
        b.tags,
        type,
        b.kubernetesGroups,
      );
      return json(200, { accessEntry: render(r) });
    }
    case 'DescribeAccessEntry':
      return json(200, { accessEntry: render(find(parts[3])) });
    case 'ListAccessEntries':
      return json(200, {
        accessEntries: ctx.state
          .list<AccessEntry>('eks', 'access-entry')
          .filter(r => r.id.startsWith(`${cluster.id}/`))
          .map(r => r.data.principalArn)
          .sort(),
      });
    case 'DeleteAccessEntry':
      ctx.state.remove('eks', 'access-entry', find(parts[3]).id);
      return json(200, {});
    case 'AssociateAccessPolicy': {
      const r = find(parts[3]);
      const b = on.body();
      const name = String(b.policyArn ?? '').startsWith(POLICY_PREFIX)
        ? String(b.policyArn).slice(POLICY_PREFIX.length)
        : '';
      if (!POLICIES.includes(name))
        throw new ServiceError(
          404,
          'ResourceNotFoundException',
          `The specified policy ${b.policyArn} could not be found.`,
          { clusterName: cluster.data.name },
        );
      const scope = b.accessScope ?? {};
      if (!['cluster', 'namespace'].includes(scope.type))
        throw invalid('accessScope.type must be cluster or namespace.');
      if (scope.type === 'namespace' && !(scope.namespaces ?? []).length)
        throw invalid(
          'accessScope.namespaces is required when accessScope.type is namespace.',
        );
      const policy = {
        policyArn: b.policyArn,
        accessScope:
          scope.type === 'cluster'
            ? { type: 'cluster', namespaces: [] }
            : { type: 'namespace', namespaces: scope.namespaces },
        associatedAt: Date.now(),
      };
      r.data.policies = [
        ...r.data.policies.filter(p => p.policyArn !== b.policyArn),
        policy,
      ];
      ctx.state.put(r);
      return json(200, {
        clusterName: cluster.data.name,
        principalArn: r.data.principalArn,
        associatedAccessPolicy: renderPolicy(policy),
      });
    }
    case 'ListAssociatedAccessPolicies': {
      const r = find(parts[3]);
      return json(200, {
        clusterName: cluster.data.name,
        principalArn: r.data.principalArn,
        associatedAccessPolicies: r.data.policies.map(renderPolicy),
      });
    }
    default:
      throw new ServiceError(
        404,
        'UnknownOperationException',
        `No EKS operation for ${req.method} ${req.path} (${caller.account})`,
      );
  }
}
