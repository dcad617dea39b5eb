import { parse } from 'yaml';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
  json,
} from '../types';
import { phaseOf, type SandboxResource, type SandboxState } from '../state';
import type { AwsCaller } from './protocol';
import { type Cluster, clusterCreate, invalid, pageOf, statusOf } from './eks';

/** The add-ons the sandbox's EKS offers (a part of EKS's catalogue), by name: their version. */
const CATALOGUE: Record<string, string> = {
  'vpc-cni': 'v1.20.4-eksbuild.1',
  coredns: 'v1.12.3-eksbuild.1',
  'kube-proxy': 'v1.33.3-eksbuild.6',
  'eks-pod-identity-agent': 'v1.3.8-eksbuild.2',
  'aws-secrets-store-csi-driver-provider': 'v2.1.0-eksbuild.1',
  'aws-ebs-csi-driver': 'v1.48.0-eksbuild.2',
  'metrics-server': 'v0.8.0-eksbuild.2',
};

export interface Addon {
  name: string;
  cluster: string;
  arn: string;
  version: string;
  /** The add-on's configuration (JSON or YAML of the add-on's configuration schema), as given. */
  configurationValues?: string;
  tags: Record<string, string>;
}

/** An add-on's configuration values (JSON or YAML) as an object; undefined when they are not one. */
export function configurationOf(
  values: unknown,
): Record<string, any> | undefined {
  try {
    const parsed = parse(String(values ?? '{}'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `cluster`'s add-on `name` when it runs (ACTIVE): the cluster-side software other parts of the
 * sandbox look for (the Secrets Store CSI driver, the Pod Identity agent).
 */
export function activeAddon(
  state: SandboxState,
  cluster: SandboxResource,
  name: string,
): Addon | undefined {
  const r = state.get<Addon>('eks', 'addon', `${cluster.id}/${name}`);
  return r && phaseOf(r) === 'active' ? r.data : undefined;
}

function render(r: SandboxResource<Addon>) {
  const a = r.data;
  return {
    addonName: a.name,
    clusterName: a.cluster,
    status: statusOf(r),
    addonVersion: a.version,
    health: { issues: [] },
    addonArn: a.arn,
    createdAt: r.createdAt / 1000,
    modifiedAt: r.createdAt / 1000,
    tags: a.tags,
    ...(a.configurationValues !== undefined && {
      configurationValues: a.configurationValues,
    }),
  };
}

/**
 * EKS add-ons (REST-JSON, `/clusters/{name}/addons[/{addonName}]`): the names of EKS's catalogue
 * only, created on an ACTIVE cluster, one of each name, `CREATING` then `ACTIVE`, `DELETING` then
 * gone; configuration values that must parse; client tokens; lists paged. (Versions other than
 * the default, updates, conflicts with self-managed software and DEGRADED health are not modelled.)
 */
export function handleAddons(
  op: string,
  parts: string[],
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  on: { cluster: SandboxResource<Cluster>; body: () => any },
): SandboxResponse {
  const cluster = on.cluster.data;
  const id = (name: string) => `${on.cluster.id}/${name}`;
  const find = (name: string) => {
    const r = ctx.state.get<Addon>('eks', 'addon', id(name));
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `No addon: ${name} found in cluster: ${cluster.name}`,
        { clusterName: cluster.name, addonName: name },
      );
    return r;
  };

  switch (op) {
    case 'CreateAddon': {
      const b = on.body();
      if (typeof b.addonName !== 'string')
        throw invalid('addonName is required.');
      if (!(b.addonName in CATALOGUE))
        throw invalid(
          `Addon ${b.addonName} specified is not supported in ${cluster.version} kubernetes version`,
        );
      if (
        b.addonVersion !== undefined &&
        b.addonVersion !== CATALOGUE[b.addonName]
      )
        throw invalid(
          `Addon version ${b.addonVersion} specified is not supported for ${b.addonName} in ${cluster.version} kubernetes version`,
        );
      if (
        b.configurationValues !== undefined &&
        !configurationOf(b.configurationValues)
      )
        throw invalid(
          'ConfigurationValue provided in request is not supported: Json schema validation failed with error: the configuration values are not a JSON or YAML object',
        );
      const create = clusterCreate<Addon>(
        ctx,
        caller,
        on.cluster,
        b,
        'add-ons',
      );
      if (create.again) return json(200, { addon: render(create.again) });
      if (ctx.state.get('eks', 'addon', id(b.addonName)))
        throw new ServiceError(
          409,
          'ResourceInUseException',
          'Addon already exists.',
          { clusterName: cluster.name, addonName: b.addonName },
        );
      const now = Date.now();
      const r = ctx.state.put<Addon>({
        service: 'eks',
        type: 'addon',
        id: id(b.addonName),
        account: caller.account,
        region: caller.region,
        createdAt: now,
        readyAt: now + ctx.durations.eksAddon,
        data: {
          name: b.addonName,
          cluster: cluster.name,
          arn: `arn:aws:eks:${caller.region}:${caller.account}:addon/${
            cluster.name
          }/${b.addonName}/${hexId(8)}`,
          version: CATALOGUE[b.addonName],
          configurationValues: b.configurationValues,
          tags: b.tags ?? {},
        },
      });
      create.remember(r);
      return json(200, { addon: render(r) });
    }

    case 'DescribeAddon':
      return json(200, { addon: render(find(parts[3])) });

    case 'ListAddons': {
      const { page, nextToken } = pageOf(
        req,
        ctx.state
          .list<Addon>('eks', 'addon')
          .filter(r => r.id.startsWith(`${on.cluster.id}/`))
          .map(r => r.data.name)
          .sort(),
      );
      return json(200, { addons: page, nextToken });
    }

    case 'DeleteAddon': {
      const r = find(parts[3]);
      if (r.goneAt === undefined) {
        r.goneAt = Date.now() + ctx.durations.eksAddonDelete;
        ctx.state.put(r);
      }
      return json(200, { addon: render(r) });
    }

    default:
      throw new ServiceError(
        404,
        'UnknownOperationException',
        `No EKS operation for ${req.method} ${req.path}`,
      );
  }
}
