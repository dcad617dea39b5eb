import { randomBytes } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  json,
} from '../types';
import type { SandboxResource, SandboxState } from '../state';
import type { AwsCaller } from './protocol';
import { type Cluster, clusterCreate, invalid, pageOf } from './eks';

export interface PodIdentityAssociation {
  cluster: string;
  id: string;
  arn: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  tags: Record<string, string>;
}

const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The association that gives pods of `serviceAccount` in `namespace` an IAM role, if any. */
export function podIdentityOf(
  state: SandboxState,
  cluster: SandboxResource,
  namespace: string,
  serviceAccount: string,
): PodIdentityAssociation | undefined {
  return state
    .list<PodIdentityAssociation>('eks', 'pod-identity')
    .find(
      r =>
        r.id.startsWith(`${cluster.id}/`) &&
        r.data.namespace === namespace &&
        r.data.serviceAccount === serviceAccount,
    )?.data;
}

function render(r: SandboxResource<PodIdentityAssociation>) {
  const a = r.data;
  return {
    clusterName: a.cluster,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    associationArn: a.arn,
    associationId: a.id,
    tags: a.tags,
    createdAt: r.createdAt / 1000,
    modifiedAt: r.createdAt / 1000,
    disableSessionTags: false,
  };
}

/**
 * EKS Pod Identity associations (REST-JSON, `/clusters/{name}/pod-identity-associations[/{id}]`):
 * an IAM role for the pods of one service account in one namespace, on an ACTIVE cluster, one
 * association per service account; lists filtered by namespace and service account, paged. (The
 * role's trust policy is not checked: the sandbox has no IAM.)
 */
export function handlePodIdentity(
  op: string,
  parts: string[],
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  on: { cluster: SandboxResource<Cluster>; body: () => any },
): SandboxResponse {
  const cluster = on.cluster.data;
  const ofCluster = () =>
    ctx.state
      .list<PodIdentityAssociation>('eks', 'pod-identity')
      .filter(r => r.id.startsWith(`${on.cluster.id}/`));
  const find = (associationId: string) => {
    const r = ctx.state.get<PodIdentityAssociation>(
      'eks',
      'pod-identity',
      `${on.cluster.id}/${associationId}`,
    );
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `No Pod Identity association found for id: ${associationId}.`,
        { clusterName: cluster.name },
      );
    return r;
  };

  switch (op) {
    case 'CreatePodIdentityAssociation': {
      const b = on.body();
      for (const field of ['namespace', 'serviceAccount', 'roleArn'])
        if (typeof b[field] !== 'string' || !b[field])
          throw invalid(`${field} is required.`);
      if (!ROLE_ARN.test(b.roleArn))
        throw invalid(`roleArn ${b.roleArn} is not a valid IAM role ARN.`);
      // A role of another account is reached through targetRoleArn, not directly.
      if (b.roleArn.split(':')[4] !== caller.account)
        throw invalid(
          `roleArn ${b.roleArn} must be an IAM role of the cluster's account (${caller.account}); use targetRoleArn for a role of another account.`,
        );
      for (const field of ['namespace', 'serviceAccount'])
        if (!K8S_NAME.test(b[field]))
          throw invalid(
            `${field} ${b[field]} is not a valid Kubernetes name (lower-case letters, digits, '-' and '.').`,
          );
      const create = clusterCreate<PodIdentityAssociation>(
        ctx,
        caller,
        on.cluster,
        b,
        'Pod Identity associations',
      );
      if (create.again) return json(200, { association: render(create.again) });
      const taken = podIdentityOf(
        ctx.state,
        on.cluster,
        b.namespace,
        b.serviceAccount,
      );
      if (taken)
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Association already exists: ${taken.id}`,
          { clusterName: cluster.name },
        );
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
      const associationId = `a-${[...randomBytes(17)]
        .map(byte => alphabet[byte % alphabet.length])
        .join('')}`;
      const r = ctx.state.put<PodIdentityAssociation>({
        service: 'eks',
        type: 'pod-identity',
        id: `${on.cluster.id}/${associationId}`,
        account: caller.account,
        region: caller.region,
        createdAt: Date.now(),
        data: {
          cluster: cluster.name,
          id: associationId,
          arn: `arn:aws:eks:${caller.region}:${caller.account}:podidentityassociation/${cluster.name}/${associationId}`,
          namespace: b.namespace,
          serviceAccount: b.serviceAccount,
          roleArn: b.roleArn,
          tags: b.tags ?? {},
        },
      });
      create.remember(r);
      return json(200, { association: render(r) });
    }

    case 'DescribePodIdentityAssociation':
      return json(200, { association: render(find(parts[3])) });

    case 'ListPodIdentityAssociations': {
      const namespace = req.query.get('namespace');
      const serviceAccount = req.query.get('serviceAccount');
      const { page, nextToken } = pageOf(
        req,
        ofCluster()
          .filter(
            r =>
              (namespace === null || r.data.namespace === namespace) &&
              (serviceAccount === null ||
                r.data.serviceAccount === serviceAccount),
          )
          .sort((a, b) => a.data.id.localeCompare(b.data.id)),
      );
      return json(200, {
        associations: page.map(r => ({
          clusterName: cluster.name,
          namespace: r.data.namespace,
          serviceAccount: r.data.serviceAccount,
          associationArn: r.data.arn,
          associationId: r.data.id,
        })),
        nextToken,
      });
    }

    case 'DeletePodIdentityAssociation': {
      const r = find(parts[3]);
      ctx.state.remove('eks', 'pod-identity', r.id);
      return json(200, { association: render(r) });
    }

    default:
      throw new ServiceError(
        404,
        'UnknownOperationException',
        `No EKS operation for ${req.method} ${req.path}`,
      );
  }
}
