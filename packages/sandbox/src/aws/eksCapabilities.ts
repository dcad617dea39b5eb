import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
  json,
} from '../types';
import { SandboxResource } from '../state';
import { AwsCaller } from './protocol';
import { type Cluster, clusterCreate, invalid, pageOf, statusOf } from './eks';
import { putAccessEntry, takesAccessEntries } from './eksAccessEntries';

/** The managed capabilities EKS runs for a cluster, outside it. */
const TYPES = ['ACK', 'ARGOCD', 'KRO'];

/** The version of each capability's software the sandbox reports. */
const VERSIONS: Record<string, string> = {
  ARGOCD: 'v3.1.8-eks-1',
  ACK: 'v1.0.0-eks-1',
  KRO: 'v0.4.1-eks-1',
};

export interface Capability {
  name: string;
  arn: string;
  cluster: string;
  type: string;
  roleArn: string;
  deletePropagationPolicy: string;
  /** The Argo CD capability's configuration as requested (its namespace defaulted). */
  argoCd?: {
    namespace: string;
    awsIdc: { idcInstanceArn: string; idcRegion?: string };
    rbacRoleMappings?: unknown[];
    networkAccess?: { vpceIds?: string[] };
  };
  /** The opaque host part of the Argo CD capability's server URL. */
  endpoint?: string;
  tags: Record<string, string>;
}

const NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,63}$/;
const IDC_ARN = /^arn:aws:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;

/**
 * A capability's status: CREATING until its software runs, then ACTIVE; DELETING until it is
 * gone. (UPDATING, DEGRADED and the failed states are not modelled.)
 */
const status = (r: SandboxResource) => statusOf(r);

function render(r: SandboxResource<Capability>, ctx: SandboxContext) {
  const c = r.data;
  const active = status(r) === 'ACTIVE';
  return {
    capabilityName: c.name,
    arn: c.arn,
    clusterName: c.cluster,
    type: c.type,
    roleArn: c.roleArn,
    status: status(r),
    version: VERSIONS[c.type],
    configuration: c.argoCd
      ? {
          argoCd: {
            namespace: c.argoCd.namespace,
            awsIdc: {
              ...c.argoCd.awsIdc,
              idcManagedApplicationArn: `arn:aws:sso::${
                r.account
              }:application/${c.argoCd.awsIdc.idcInstanceArn
                .split('/')
                .pop()}/apl-${c.endpoint!.slice(0, 16)}`,
            },
            ...(c.argoCd.rbacRoleMappings && {
              rbacRoleMappings: c.argoCd.rbacRoleMappings,
            }),
            ...(c.argoCd.networkAccess && {
              networkAccess: c.argoCd.networkAccess,
            }),
            // Served by the sandbox once the capability runs.
            ...(active && {
              serverUrl: `${ctx.url}/argocd/${c.endpoint}`,
            }),
          },
        }
      : {},
    tags: c.tags,
    health: { issues: [] },
    deletePropagationPolicy: c.deletePropagationPolicy,
    createdAt: r.createdAt / 1000,
    modifiedAt: r.createdAt / 1000,
  };
}

/**
 * EKS capabilities (REST-JSON, `/clusters/{name}/capabilities[/{capabilityName}]`): one of each
 * type per cluster, created on an ACTIVE cluster only, `CREATING` then `ACTIVE`, `DELETING` then
 * gone, with an Argo CD capability's Identity Center configuration required and its server URL
 * given once active; client tokens as EKS keeps them; lists paged.
 */
export function handleCapabilities(
  op: string,
  parts: string[],
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  on: { cluster: SandboxResource<Cluster>; body: () => any },
): SandboxResponse {
  const cluster = on.cluster.data;
  const id = (name: string) =>
    `${caller.account}/${caller.region}/${cluster.name}/${name}`;
  const ofCluster = () =>
    ctx.state
      .list<Capability>('eks', 'capability')
      .filter(r => r.id.startsWith(`${on.cluster.id}/`));
  const find = (name: string) => {
    const r = ctx.state.get<Capability>('eks', 'capability', id(name));
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `No capability found for name: ${name}.`,
        { clusterName: cluster.name },
      );
    return r;
  };

  switch (op) {
    case 'CreateCapability': {
      const b = on.body();
      for (const field of [
        'capabilityName',
        'type',
        'roleArn',
        'deletePropagationPolicy',
      ])
        if (typeof b[field] !== 'string')
          throw invalid(`${field} is required.`);
      if (!NAME.test(b.capabilityName))
        throw invalid(
          'capabilityName must be 1-64 characters of letters, digits, hyphens and underscores, starting with a letter or digit.',
        );
      if (!TYPES.includes(b.type))
        throw invalid(
          `type ${b.type} is not valid: use one of ${TYPES.join(', ')}.`,
        );
      if (!/^arn:aws:iam::\d{12}:role\/.+/.test(b.roleArn))
        throw invalid('roleArn must be an IAM role ARN.');
      if (b.deletePropagationPolicy !== 'RETAIN')
        throw invalid(
          `deletePropagationPolicy ${b.deletePropagationPolicy} is not valid: the only supported value is RETAIN.`,
        );
      const argoCd = b.configuration?.argoCd;
      if (b.type === 'ARGOCD') {
        if (!argoCd?.awsIdc?.idcInstanceArn)
          throw invalid(
            'configuration.argoCd.awsIdc.idcInstanceArn is required: an Argo CD capability authenticates through IAM Identity Center.',
          );
        if (!IDC_ARN.test(argoCd.awsIdc.idcInstanceArn))
          throw invalid(
            `configuration.argoCd.awsIdc.idcInstanceArn ${argoCd.awsIdc.idcInstanceArn} is not an IAM Identity Center instance ARN.`,
          );
      } else if (argoCd)
        throw invalid(
          `configuration.argoCd applies to an ARGOCD capability, not ${b.type}.`,
        );
      const create = clusterCreate<Capability>(
        ctx,
        caller,
        on.cluster,
        b,
        'capabilities',
      );
      if (create.again)
        return json(200, { capability: render(create.again, ctx) });
      if (!takesAccessEntries(cluster.authenticationMode))
        throw new ServiceError(
          400,
          'InvalidRequestException',
          `Cluster ${cluster.name} uses the ${
            cluster.authenticationMode ?? 'CONFIG_MAP'
          } authentication mode; capabilities need API or API_AND_CONFIG_MAP.`,
          { clusterName: cluster.name },
        );
      const existing = ofCluster();
      if (existing.some(r => r.data.name === b.capabilityName))
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Capability ${b.capabilityName} already exists in cluster ${cluster.name}.`,
          { clusterName: cluster.name },
        );
      const sameType = existing.find(r => r.data.type === b.type);
      if (sameType)
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster ${cluster.name} already has a ${b.type} capability (${sameType.data.name}); a cluster has one capability of each type.`,
          { clusterName: cluster.name },
        );
      const now = Date.now();
      const r = ctx.state.put<Capability>({
        service: 'eks',
        type: 'capability',
        id: id(b.capabilityName),
        account: caller.account,
        region: caller.region,
        createdAt: now,
        readyAt: now + ctx.durations.eksCapability,
        data: {
          name: b.capabilityName,
          arn: `arn:aws:eks:${caller.region}:${caller.account}:capability/${
            cluster.name
          }/${b.capabilityName}/${hexId(8)}`,
          cluster: cluster.name,
          type: b.type,
          roleArn: b.roleArn,
          deletePropagationPolicy: b.deletePropagationPolicy,
          ...(b.type === 'ARGOCD' && {
            argoCd: {
              namespace: argoCd.namespace ?? 'argocd',
              awsIdc: argoCd.awsIdc,
              rbacRoleMappings: argoCd.rbacRoleMappings,
              networkAccess: argoCd.networkAccess,
            },
            endpoint: hexId(16),
          }),
          tags: b.tags ?? {},
        },
      });
      create.remember(r);
      // EKS gives the capability's role an access entry on its own cluster (no policy: the
      // Kubernetes permissions are the platform's to grant).
      if (
        !ctx.state.get('eks', 'access-entry', `${on.cluster.id}/${b.roleArn}`)
      )
        putAccessEntry(ctx.state, on.cluster, b.roleArn);
      return json(200, { capability: render(r, ctx) });
    }

    case 'DescribeCapability':
      return json(200, { capability: render(find(parts[3]), ctx) });

    case 'ListCapabilities': {
      const { page, nextToken } = pageOf(
        req,
        ofCluster().sort((a, b) => a.data.name.localeCompare(b.data.name)),
      );
      return json(200, {
        capabilities: page.map(r => {
          const full = render(r, ctx);
          return {
            capabilityName: full.capabilityName,
            arn: full.arn,
            type: full.type,
            status: full.status,
            version: full.version,
            createdAt: full.createdAt,
            modifiedAt: full.modifiedAt,
          };
        }),
        nextToken,
      });
    }

    case 'DeleteCapability': {
      const r = find(parts[3]);
      if (status(r) === 'CREATING')
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Capability ${r.data.name} is currently being created.`,
          { clusterName: cluster.name },
        );
      if (r.goneAt === undefined) {
        r.goneAt = Date.now() + ctx.durations.eksCapabilityDelete;
        ctx.state.put(r);
      }
      return json(200, { capability: render(r, ctx) });
    }

    default:
      throw new ServiceError(
        404,
        'UnknownOperationException',
        `No EKS operation for ${req.method} ${req.path}`,
      );
  }
}
