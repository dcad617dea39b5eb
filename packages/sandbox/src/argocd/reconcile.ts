import fs from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { SandboxContext } from '../types';
import type { SandboxResource } from '../state';
import { commitOf, git, repoDir } from '../github/git';
import { endpointId } from '../aws/eks';
import { presignGet } from '../aws/sigv4';
import { sessionTokenFor } from '../aws/credentials';
import { KINDS } from '../kubernetes/discovery';
import { clusterWriteDenied } from '../aws/eksAccessEntries';
import { type Health, isWorse, podHealth, resourceHealth } from './health';

type Obj = Record<string, any>;

/** An Argo CD Application as the sandbox keeps it: what was asked, and what the controller saw. */
export interface Application {
  metadata: Obj & { name: string; namespace: string };
  spec: {
    project: string;
    source: { repoURL: string; path: string; targetRevision?: string };
    destination: { server?: string; name?: string; namespace: string };
    syncPolicy?: {
      automated?: { prune?: boolean; selfHeal?: boolean };
      syncOptions?: string[];
      managedNamespaceMetadata?: {
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
    };
  };
  status: Obj;
}

/** A cluster registered with an Argo CD, by the EKS cluster ARN (as the EKS capability wants). */
export interface RegisteredCluster {
  server: string;
  name: string;
}

/** The Argo CD an application belongs to: its registered clusters, and its capability's role. */
export interface ArgoCdInstance {
  clusters: RegisteredCluster[];
  /** The IAM role it reaches clusters as: each needs an access entry for it. */
  roleArn: string;
}

/** What `ls` of a revision's path finds: the manifests Argo CD's directory source reads. */
async function desiredState(
  ctx: SandboxContext,
  source: Application['spec']['source'],
): Promise<{ revision: string; manifests: Obj[] }> {
  const repo = /\/([^/]+)\/([^/]+?)(\.git)?\/?$/.exec(source.repoURL);
  const dir = repo && repoDir(ctx, repo[1], repo[2]);
  if (!dir || !fs.existsSync(dir))
    throw new Error(
      `failed to list refs: repository not found: Repository not found.`,
    );
  const ref = source.targetRevision || 'HEAD';
  const revision = await commitOf(dir, ref);
  if (!revision) throw new Error(`unable to resolve '${ref}' to a commit SHA`);
  const path = source.path.replace(/^\.?\/+|\/+$/g, '');
  const listing = await git(dir, ['ls-tree', revision, `${path}/`]).catch(
    () => '',
  );
  if (!listing) throw new Error(`${path}: app path does not exist`);
  const manifests: Obj[] = [];
  for (const line of listing.split('\n')) {
    const [meta, file] = line.split('\t');
    if (!meta.includes(' blob ') || !/\.(ya?ml|json)$/.test(file)) continue;
    const text = await git(dir, ['show', `${revision}:${file}`]);
    const docs = file.endsWith('.json')
      ? [JSON.parse(text)]
      : parseAllDocuments(text).map(d => {
          if (d.errors.length)
            throw new Error(
              `failed to unmarshal ${file}: ${d.errors[0].message}`,
            );
          return d.toJSON();
        });
    for (const doc of docs.filter(Boolean)) {
      if (!doc.apiVersion || !doc.kind || !doc.metadata?.name)
        throw new Error(
          `${file}: Object 'Kind' is missing in '${JSON.stringify(doc)}'`,
        );
      manifests.push(doc);
    }
  }
  return { revision, manifests };
}

const isNamespaced = (kind: string) =>
  Object.values(KINDS).find(k => k.kind === kind)?.namespaced ?? true;

const groupOf = (apiVersion: string) =>
  apiVersion.includes('/') ? apiVersion.split('/')[0] : '';

/** Argo CD's tracking annotation (the default method since v3): `app:group/Kind:ns/name`. */
const TRACKING = 'argocd.argoproj.io/tracking-id';
const trackingId = (app: string, o: Obj) =>
  `${app}:${groupOf(o.apiVersion)}/${o.kind}:${o.metadata.namespace ?? ''}/${
    o.metadata.name
  }`;

/** Whether every field `desired` sets has that value in `live` (defaults the server adds aside). */
function covers(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired))
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => covers(d, live[i]))
    );
  if (desired && typeof desired === 'object')
    return (
      !!live &&
      typeof live === 'object' &&
      Object.entries(desired).every(([k, v]) => covers(v, (live as Obj)[k]))
    );
  return desired === live;
}

/** The cluster an Application deploys to, as the EKS cluster ARN names it. */
function eksCluster(ctx: SandboxContext, arn: string) {
  return ctx.state
    .list<{ arn: string; name: string }>('eks', 'cluster')
    .find(r => r.data.arn === arn);
}

/**
 * The destination cluster's API as the capability reaches it: through EKS, with a token of the
 * capability's own (from AWS's side, not through the cluster's public endpoint).
 */
export function clusterConfig(ctx: SandboxContext, cluster: SandboxResource) {
  const [account, region] = cluster.id.split('/');
  const presigned = presignGet(
    new URL(
      `https://sts.${region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15`,
    ),
    { 'x-k8s-aws-id': (cluster.data as { name: string }).name },
    {
      accessKeyId: `ASIA${account}`,
      sessionToken: sessionTokenFor(`ASIA${account}`, ctx.secretAccessKey),
      secret: ctx.secretAccessKey,
      region,
      service: 'sts',
    },
    60,
  );
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'destination',
        // Through the cluster's VPC: the capability's path works for private endpoints too.
        server: `${ctx.kubernetes.url}/k8s-vpc/${endpointId(cluster.id)}`,
        caData: Buffer.from(ctx.kubernetes.caPem).toString('base64'),
      },
    ],
    users: [
      {
        name: 'argocd',
        token: `k8s-aws-v1.${Buffer.from(presigned.toString()).toString(
          'base64url',
        )}`,
      },
    ],
    contexts: [{ name: 'c', cluster: 'destination', user: 'argocd' }],
    currentContext: 'c',
  });
  return kc;
}

const clusterClient = (ctx: SandboxContext, cluster: SandboxResource) =>
  k8s.KubernetesObjectApi.makeApiClient(clusterConfig(ctx, cluster));

const code = (e: unknown) => (e as { code?: number }).code;
const apiMessage = (e: unknown) => {
  try {
    return JSON.parse((e as { body?: string }).body ?? '').message as string;
  } catch {
    return (e as Error).message;
  }
};

async function readLive(api: k8s.KubernetesObjectApi, o: Obj) {
  try {
    return (await api.read({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
    })) as Obj;
  } catch (e) {
    if (code(e) === 404) return undefined;
    throw e;
  }
}

/** The live objects `app` tracks (its annotation) in its namespace that `keep` does not name. */
async function extraneous(
  api: k8s.KubernetesObjectApi,
  app: Application,
  keep: Set<string>,
): Promise<Obj[]> {
  const found: Obj[] = [];
  for (const def of Object.values(KINDS).filter(k => k.namespaced)) {
    // Kinds the cluster does not serve (a CRD its add-ons did not install) hold nothing.
    const listed = (
      await api
        .list(def.apiVersion, def.kind, app.spec.destination.namespace)
        .catch(e =>
          (e as { code?: number }).code === 404
            ? { items: [] }
            : Promise.reject(e),
        )
    ).items as Obj[];
    for (const live of listed) {
      const id = live.metadata?.annotations?.[TRACKING];
      if (id?.startsWith(`${app.metadata.name}:`) && !keep.has(id))
        found.push({ ...live, apiVersion: def.apiVersion, kind: def.kind });
    }
  }
  return found;
}

/** Deletes the live objects `app` tracks that `keep` does not name, and says so as a sync does. */
async function prune(
  api: k8s.KubernetesObjectApi,
  app: Application,
  keep: Set<string>,
): Promise<Obj[]> {
  const pruned: Obj[] = [];
  for (const live of await extraneous(api, app, keep)) {
    await api.delete(live);
    pruned.push({
      group: groupOf(live.apiVersion),
      version: live.apiVersion.split('/').pop(),
      kind: live.kind,
      namespace: live.metadata.namespace,
      name: live.metadata.name,
      status: 'Pruned',
      message: 'pruned',
    });
  }
  return pruned;
}

/** The destination cluster of `app`, by its server or its registered name. */
export function destinationOf(
  ctx: SandboxContext,
  app: Application,
  clusters: RegisteredCluster[],
) {
  const server =
    app.spec.destination.server ??
    clusters.find(c => c.name === app.spec.destination.name)?.server;
  return {
    server,
    cluster:
      server && clusters.some(c => c.server === server)
        ? eksCluster(ctx, server)
        : undefined,
  };
}

/**
 * The application's resource tree, as Argo CD's `resource-tree` answers it: its managed resources,
 * and under its Deployments their ReplicaSets and those pods (found through their owner
 * references), each with its health; a pod with the kubelet's status reason and its containers'
 * readiness. Read from the destination cluster as the capability reaches it.
 */
export async function resourceTree(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
): Promise<{ nodes: Obj[] }> {
  const managed = ((app.status?.resources ?? []) as Obj[]).map(r => ({
    group: r.group,
    version: r.version,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    ...(r.health && { health: r.health }),
  }));
  const { cluster } = destinationOf(ctx, app, argo.clusters);
  const namespace = app.spec.destination.namespace;
  if (!cluster || !managed.some(r => r.kind === 'Deployment'))
    return { nodes: managed };
  const api = clusterClient(ctx, cluster);
  const list = async (apiVersion: string, kind: string) =>
    ((await api.list(apiVersion, kind, namespace)).items ?? []) as Obj[];
  const deployments = new Set(
    managed.filter(r => r.kind === 'Deployment').map(r => r.name),
  );
  const owner = (o: Obj) =>
    ((o.metadata?.ownerReferences ?? []) as Obj[]).find(ref => ref.controller);
  const replicaSets = (await list('apps/v1', 'ReplicaSet')).filter(rs =>
    deployments.has(owner(rs)?.name),
  );
  const nodeOf = (o: Obj, group: string, version: string, kind: string) => ({
    group,
    version,
    kind,
    namespace,
    name: o.metadata.name,
    uid: o.metadata.uid,
    createdAt: o.metadata.creationTimestamp,
    parentRefs: [
      {
        group: 'apps',
        kind: owner(o)!.kind,
        namespace,
        name: owner(o)!.name,
        uid: owner(o)!.uid,
      },
    ],
  });
  const names = new Set(replicaSets.map(rs => rs.metadata.name));
  const pods = (await list('v1', 'Pod')).filter(p => names.has(owner(p)?.name));
  return {
    nodes: [
      ...managed,
      ...replicaSets.map(rs => ({
        ...nodeOf(rs, 'apps', 'v1', 'ReplicaSet'),
        health:
          (rs.status?.readyReplicas ?? 0) >= (rs.spec?.replicas ?? 1)
            ? { status: 'Healthy' }
            : {
                status: 'Progressing',
                message: 'Waiting for rollout to finish',
              },
      })),
      ...pods.map(p => {
        const statuses = (p.status?.containerStatuses ?? []) as Obj[];
        const waiting = statuses.find(c => c.state?.waiting)?.state?.waiting;
        return {
          ...nodeOf(p, '', 'v1', 'Pod'),
          health: podHealth(p),
          info: [
            {
              name: 'Status Reason',
              value: waiting?.reason ?? p.status?.phase ?? 'Unknown',
            },
            {
              name: 'Containers',
              value: `${statuses.filter(c => c.ready).length}/${
                statuses.length
              }`,
            },
          ],
          images: statuses.map(c => c.image),
        };
      }),
    ],
  };
}

/**
 * What deleting an application with cascade does: every object it deployed is deleted (its
 * namespace stays, as Argo CD leaves a namespace it created).
 */
export async function deleteResources(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
): Promise<void> {
  const { cluster } = destinationOf(ctx, app, argo.clusters);
  if (cluster && !clusterWriteDenied(ctx.state, cluster, argo.roleArn))
    await prune(clusterClient(ctx, cluster), app, new Set());
}

/**
 * Applies `manifests` as a sync does (namespace first when asked, each object created or
 * replaced, tracked by the app; with prune, what the app tracked and no longer has is deleted)
 * and answers the operation state Argo CD records.
 */
async function sync(
  app: Application,
  api: k8s.KubernetesObjectApi,
  revision: string,
  manifests: Obj[],
  automated: boolean,
  prunes = false,
): Promise<Obj> {
  const startedAt = new Date().toISOString();
  const results: Obj[] = [];
  let failure: string | undefined;
  const policy = app.spec.syncPolicy ?? {};
  const namespace = app.spec.destination.namespace;
  if ((policy.syncOptions ?? []).includes('CreateNamespace=true')) {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: policy.managedNamespaceMetadata?.labels,
        annotations: policy.managedNamespaceMetadata?.annotations,
      },
    };
    const live = await readLive(api, ns);
    if (!live) await api.create(ns);
  }
  for (const desired of manifests) {
    const o: Obj = JSON.parse(JSON.stringify(desired));
    const verb = `${o.kind.toLowerCase()}${
      groupOf(o.apiVersion) ? `.${groupOf(o.apiVersion)}` : ''
    }/${o.metadata.name}`;
    o.metadata.annotations = {
      ...o.metadata.annotations,
      [TRACKING]: trackingId(app.metadata.name, o),
    };
    const result = {
      group: groupOf(o.apiVersion),
      version: o.apiVersion.split('/').pop(),
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name,
      syncPhase: 'Sync',
      hookPhase: 'Running',
    };
    try {
      const live = await readLive(api, o);
      if (live) {
        o.metadata.resourceVersion = live.metadata.resourceVersion;
        await api.replace(o);
      } else await api.create(o);
      results.push({
        ...result,
        status: 'Synced',
        message: `${verb} ${live ? 'configured' : 'created'}`,
      });
    } catch (e) {
      failure ??= apiMessage(e);
      results.push({
        ...result,
        status: 'SyncFailed',
        hookPhase: 'Failed',
        message: apiMessage(e),
      });
    }
  }
  if (!failure && (policy.automated?.prune || prunes))
    results.push(
      ...(await prune(
        api,
        app,
        new Set(manifests.map(m => trackingId(app.metadata.name, m))),
      )),
    );
  return {
    operation: {
      sync: { revision },
      initiatedBy: automated ? { automated: true } : { username: 'admin' },
    },
    phase: failure ? 'Failed' : 'Succeeded',
    message: failure
      ? `one or more objects failed to apply, reason: ${failure}`
      : 'successfully synced (all tasks run)',
    syncResult: { revision, source: app.spec.source, resources: results },
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * One pass of Argo CD's application controller over `r`: the target revision's manifests from
 * git, compared with the live objects of the destination cluster; an automated app synced when
 * out of sync (a revision whose automated sync failed is not tried again; with selfHeal, a drift
 * after a successful sync is), or the sync `requested` (a manual sync); then sync and health
 * status as Argo CD reports them.
 */
export async function reconcile(
  ctx: SandboxContext,
  r: SandboxResource<Application>,
  argo: ArgoCdInstance,
  requested?: { revision?: string; prune?: boolean },
): Promise<void> {
  const app = r.data;
  const previous = app.status ?? {};
  const status: Obj = {
    ...previous,
    reconciledAt: new Date().toISOString(),
    conditions: [],
  };
  app.status = status;
  const { server, cluster } = destinationOf(ctx, app, argo.clusters);
  if (!cluster) {
    status.conditions = [
      {
        type: 'InvalidSpecError',
        message: `application destination spec for ${
          app.metadata.name
        } is invalid: unable to find destination server: there are no clusters with this URL: ${
          server ?? app.spec.destination.name
        }`,
      },
    ];
    status.sync = { status: 'Unknown' };
    status.health = { status: 'Unknown' };
    return;
  }
  // The capability reaches the cluster as its role: without an access entry and a policy that
  // writes cluster-wide, Argo CD cannot read or write the cluster.
  const denied = clusterWriteDenied(ctx.state, cluster, argo.roleArn);
  if (denied) {
    status.conditions = [
      {
        type: 'ComparisonError',
        message: `Failed to load live state: failed to get cluster info for "${server}": ${denied}`,
      },
    ];
    status.sync = { status: 'Unknown' };
    status.health = { status: 'Unknown' };
    return;
  }
  let desired: { revision: string; manifests: Obj[] };
  try {
    desired = await desiredState(ctx, {
      ...app.spec.source,
      ...(requested?.revision && { targetRevision: requested.revision }),
    });
  } catch (e) {
    status.conditions = [
      {
        type: 'ComparisonError',
        message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${
          (e as Error).message
        }`,
      },
    ];
    status.sync = { status: 'Unknown' };
    return;
  }
  const namespace = app.spec.destination.namespace;
  const manifests: Obj[] = desired.manifests.map(m => ({
    ...m,
    metadata: {
      ...m.metadata,
      ...(isNamespaced(m.kind) && {
        namespace: m.metadata.namespace ?? namespace,
      }),
    },
  }));
  const api = clusterClient(ctx, cluster);
  const wanted = new Set(manifests.map(m => trackingId(app.metadata.name, m)));
  /** Each object git has beside its live state, then those the app deployed and git no longer has. */
  const compare = async () => {
    const live = await Promise.all(manifests.map(m => readLive(api, m)));
    return [
      ...manifests.map((m, i) => ({
        object: m,
        live: live[i],
        synced:
          !!live[i] &&
          covers(
            m.spec ?? m.data ?? {},
            live[i]!.spec ?? live[i]!.data ?? {},
          ) &&
          covers(m.metadata.labels ?? {}, live[i]!.metadata?.labels ?? {}),
        requiresPruning: false,
      })),
      ...(await extraneous(api, app, wanted)).map(o => ({
        object: o,
        live: o,
        synced: false,
        requiresPruning: true,
      })),
    ];
  };
  let compared = await compare();
  const outOfSync = compared.some(c => !c.synced);
  const last = previous.operationState;
  const attempted = last?.syncResult?.revision === desired.revision;
  const automated = app.spec.syncPolicy?.automated;
  if (
    requested ||
    (automated &&
      outOfSync &&
      (!attempted || (automated.selfHeal && last?.phase === 'Succeeded')))
  ) {
    const operation = await sync(
      app,
      api,
      desired.revision,
      manifests,
      !requested,
      requested?.prune,
    );
    status.operationState = operation;
    if (operation.phase === 'Succeeded') {
      const history: Obj[] = previous.history ?? [];
      status.history = [
        ...history,
        {
          id: (history.at(-1)?.id ?? -1) + 1,
          revision: desired.revision,
          source: app.spec.source,
          deployStartedAt: operation.startedAt,
          deployedAt: operation.finishedAt,
        },
      ].slice(-10);
    }
    compared = await compare();
  }
  let health: Health = { status: 'Healthy' };
  status.resources = compared.map(c => {
    const own = c.live
      ? resourceHealth(c.live)
      : ({ status: 'Missing' } as Health);
    // What waits to be pruned does not count towards the application's health.
    if (own && !c.requiresPruning && isWorse(health.status, own.status))
      health = own;
    return {
      group: groupOf(c.object.apiVersion),
      version: c.object.apiVersion.split('/').pop(),
      kind: c.object.kind,
      namespace: c.object.metadata.namespace ?? '',
      name: c.object.metadata.name,
      status: c.synced ? 'Synced' : 'OutOfSync',
      ...(own && { health: own }),
      ...(c.requiresPruning && { requiresPruning: true }),
    };
  });
  status.sync = {
    status: compared.every(c => c.synced) ? 'Synced' : 'OutOfSync',
    revision: desired.revision,
    comparedTo: { source: app.spec.source, destination: app.spec.destination },
  };
  // An application's health carries no message of its own; its resources' do.
  status.health = { status: health.status };
  status.summary = {
    images: [
      ...new Set(
        manifests.flatMap(c =>
          [
            ...(c.spec?.template?.spec?.containers ?? []),
            ...(c.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []),
          ].map((x: Obj) => x.image),
        ),
      ),
    ],
  };
}
