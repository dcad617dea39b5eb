import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import type { PodBlocker, SandboxResource, SandboxState } from '../state';
import { ServiceError } from '../types';
import { activeAddon, configurationOf } from '../aws/eksAddons';
import { podIdentityOf } from '../aws/eksPodIdentity';
import { currentValue, lookupSecret } from '../aws/secretsManager';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/** The Secrets Store CSI driver's name, and the EKS add-on that runs it with AWS's provider. */
export const CSI_DRIVER = 'secrets-store.csi.k8s.io';
const ASCP_ADDON = 'aws-secrets-store-csi-driver-provider';
/** The add-on's configuration key of the driver's settings (its Helm chart's values). */
const SYNC_KEY = 'secrets-store-csi-driver';
const POD_IDENTITY_ADDON = 'eks-pod-identity-agent';

/** A mount's failure, as the kubelet words a FailedMount event. */
const mountFailed = (volume: string, why: string): PodBlocker => ({
  reason: 'FailedMount',
  message: `MountVolume.SetUp failed for volume "${volume}" : ${why}`,
});

const rpc = (desc: string) => `rpc error: code = Unknown desc = ${desc}`;

/** One object a SecretProviderClass of the AWS provider mounts (its `parameters.objects`). */
interface MountObject {
  objectName: string;
  objectType?: string;
  objectAlias?: string;
  jmesPath?: { path: string; objectAlias: string }[];
}

/**
 * The files the AWS provider mounts for `spc` (file name: content), read from the sandbox's
 * Secrets Manager as the pod's IAM role; or why the mount fails. Pod Identity is the
 * authentication modelled: an association for the pod's service account and the agent add-on on
 * its cluster. (The role's permissions are not evaluated: the sandbox has no IAM.)
 */
function awsMount(
  state: SandboxState,
  cluster: SandboxResource,
  namespace: string,
  serviceAccount: string,
  spc: Obj,
  volume: string,
): { files: Record<string, string> } | { blocked: PodBlocker } {
  const params: Record<string, unknown> = spc.spec?.parameters ?? {};
  const region = String(params.region ?? cluster.region);
  const failed = (why: string) => ({
    blocked: mountFailed(
      volume,
      rpc(
        `failed to mount secrets store objects for pod ${namespace}, err: ${rpc(
          why,
        )}`,
      ),
    ),
  });
  if (params.usePodIdentity !== 'true')
    return failed(
      `${region}: An IAM role must be associated with service account ${serviceAccount} (namespace: ${namespace})`,
    );
  if (!activeAddon(state, cluster, POD_IDENTITY_ADDON))
    return failed(
      `${region}: failed to fetch credentials: the EKS Pod Identity Agent is not running on the cluster's nodes`,
    );
  if (!podIdentityOf(state, cluster, namespace, serviceAccount))
    return failed(
      `${region}: failed to fetch credentials: no EKS Pod Identity association for service account ${serviceAccount} (namespace: ${namespace})`,
    );
  let objects: MountObject[];
  try {
    objects = parse(String(params.objects ?? '[]'));
    if (!Array.isArray(objects)) throw new Error('objects is not a list');
  } catch (e) {
    return failed(`failed to parse objects: ${(e as Error).message}`);
  }
  const files: Record<string, string> = {};
  for (const o of objects) {
    const type =
      o.objectType ??
      (/^arn:aws:secretsmanager:/.test(o.objectName) ? 'secretsmanager' : '');
    if (type !== 'secretsmanager')
      return failed(
        `Object type must be specified for objects other than a Secrets Manager ARN: ${o.objectName}`,
      );
    let value: string | undefined;
    try {
      value = currentValue(
        lookupSecret(state, { account: cluster.account!, region }, o.objectName)
          .data,
      );
    } catch (e) {
      if (!(e instanceof ServiceError)) throw e;
      return failed(
        `Failed fetching secret ${o.objectName}: ${e.code}: ${e.message}`,
      );
    }
    files[o.objectAlias ?? o.objectName.split(/[/:]/).pop()!] = value ?? '';
    for (const j of o.jmesPath ?? []) {
      let picked: unknown;
      try {
        picked = JSON.parse(value ?? '')[j.path];
      } catch {
        picked = undefined;
      }
      if (typeof picked !== 'string' && typeof picked !== 'number')
        return failed(
          `Invalid JMES search result type for path:${j.path}. Only string is allowed.`,
        );
      files[j.objectAlias] = String(picked);
    }
  }
  return { files };
}

/**
 * Writes the Kubernetes Secrets a mounted SecretProviderClass asks for (`secretObjects`), as the
 * driver does when its Secret sync is on (the add-on's `syncSecret.enabled`); a Secret of that
 * name it did not make is left alone.
 */
function syncSecrets(
  state: SandboxState,
  cluster: SandboxResource,
  namespace: string,
  spc: Obj,
  files: Record<string, string>,
  volume: string,
): PodBlocker | undefined {
  const config = configurationOf(
    activeAddon(state, cluster, ASCP_ADDON)?.configurationValues,
  );
  if (config?.[SYNC_KEY]?.syncSecret?.enabled !== true) return undefined;
  for (const so of (spc.spec?.secretObjects ?? []) as Obj[]) {
    const data: Record<string, string> = {};
    for (const d of (so.data ?? []) as { objectName: string; key: string }[]) {
      if (!(d.objectName in files))
        return mountFailed(
          volume,
          rpc(
            `failed to get data in spc ${namespace}/${spc.metadata.name} for secret ${so.secretName}, err: file matching objectName ${d.objectName} not found in the pod`,
          ),
        );
      data[d.key] = Buffer.from(files[d.objectName]).toString('base64');
    }
    const id = `${cluster.id}/${namespace}/Secret/${so.secretName}`;
    const existing = state.get<Obj>('kubernetes', 'secret', id);
    const managed =
      existing?.data.metadata.labels?.['secrets-store.csi.k8s.io/managed'] ===
      'true';
    if (existing && !managed) continue;
    const now = Date.now();
    state.put<Obj>({
      service: 'kubernetes',
      type: 'secret',
      id,
      createdAt: existing?.createdAt ?? now,
      data: {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: {
          name: so.secretName,
          namespace,
          uid: existing?.data.metadata.uid ?? randomUUID(),
          creationTimestamp:
            existing?.data.metadata.creationTimestamp ??
            new Date(now).toISOString(),
          resourceVersion: String(state.next()),
          labels: {
            ...so.labels,
            'secrets-store.csi.k8s.io/managed': 'true',
          },
          ...(so.annotations && { annotations: so.annotations }),
        },
        type: so.type ?? 'Opaque',
        data,
      },
    });
  }
  return undefined;
}

/** A Go duration as the driver's flags take it (`2m`, `90s`, `1m30s`, `500ms`), in ms. */
function goDuration(value: string): number | undefined {
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map(p => p[0]).join('') !== value)
    return undefined;
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * units[unit], 0);
}

/**
 * How often the cluster's Secrets Store CSI driver reads mounted secrets again, when its rotation
 * is on (the add-on's `enableSecretRotation`; `rotationPollInterval`, two minutes by default), so
 * a rotated secret reaches the mounted files and the synced Secrets without a redeploy.
 */
export function rotationInterval(
  state: SandboxState,
  cluster: SandboxResource,
): number | undefined {
  const driver = configurationOf(
    activeAddon(state, cluster, ASCP_ADDON)?.configurationValues,
  )?.[SYNC_KEY];
  if (driver?.enableSecretRotation !== true) return undefined;
  return goDuration(String(driver.rotationPollInterval ?? '2m')) ?? 120_000;
}

/** Whether a pod template mounts a Secrets Store CSI volume. */
export const mountsSecrets = (template: Obj) =>
  ((template.spec?.volumes ?? []) as Obj[]).some(
    v => v.csi?.driver === CSI_DRIVER,
  );

/**
 * What keeps the pods of `template` (a workload's pod template in `namespace` of `cluster`)
 * from starting, in Kubernetes' words, or undefined when they start: a service account that does
 * not exist (the ReplicaSet creates no pods), a Secrets Store CSI volume that does not mount (the
 * driver not installed, its SecretProviderClass missing, no IAM role for the pod, a secret that
 * does not exist), or an environment variable from a Secret or key that is not there. Mounting
 * writes the Secrets the SecretProviderClass syncs, as the driver does.
 */
export function podBlocker(
  state: SandboxState,
  cluster: SandboxResource,
  namespace: string,
  template: Obj,
): PodBlocker | undefined {
  const spec = template.spec ?? {};
  const get = (kind: string, name: string) =>
    state.get<Obj>(
      'kubernetes',
      kind.toLowerCase(),
      `${cluster.id}/${namespace}/${kind}/${name}`,
    )?.data;
  const serviceAccount = spec.serviceAccountName ?? 'default';
  if (serviceAccount !== 'default' && !get('ServiceAccount', serviceAccount))
    return {
      reason: 'FailedCreate',
      message: `Error creating: pods is forbidden: error looking up service account ${namespace}/${serviceAccount}: serviceaccount "${serviceAccount}" not found`,
    };
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v.csi?.driver !== CSI_DRIVER) continue;
    if (!activeAddon(state, cluster, ASCP_ADDON))
      return mountFailed(
        v.name,
        `kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name ${CSI_DRIVER} not found in the list of registered CSI drivers`,
      );
    const name = v.csi.volumeAttributes?.secretProviderClass;
    const spc = name && get('SecretProviderClass', name);
    if (!spc)
      return mountFailed(
        v.name,
        rpc(
          `failed to get secretproviderclass ${namespace}/${name}, error: SecretProviderClass.secrets-store.csi.x-k8s.io "${name}" not found`,
        ),
      );
    if (spc.spec?.provider !== 'aws')
      return mountFailed(
        v.name,
        rpc(`provider not found: provider "${spc.spec?.provider}"`),
      );
    const mounted = awsMount(
      state,
      cluster,
      namespace,
      serviceAccount,
      spc,
      v.name,
    );
    if ('blocked' in mounted) return mounted.blocked;
    const synced = syncSecrets(
      state,
      cluster,
      namespace,
      spc,
      mounted.files,
      v.name,
    );
    if (synced) return synced;
  }
  for (const c of [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
  ] as Obj[])
    for (const e of (c.env ?? []) as Obj[]) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref || ref.optional) continue;
      const secret = get('Secret', ref.name);
      if (!secret)
        return {
          reason: 'CreateContainerConfigError',
          message: `secret "${ref.name}" not found`,
        };
      if (
        !(ref.key in (secret.data ?? {})) &&
        !(ref.key in (secret.stringData ?? {}))
      )
        return {
          reason: 'CreateContainerConfigError',
          message: `couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}`,
        };
    }
  return undefined;
}
