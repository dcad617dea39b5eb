import * as k8s from '@kubernetes/client-node';
import { json, type SandboxContext, type SandboxResponse } from '../types';
import {
  type Application,
  type ArgoCdInstance,
  clusterConfig,
  destinationOf,
  resourceTree,
} from './reconcile';

type Obj = Record<string, any>;

/** A gRPC error as Argo CD's gateway writes it: its HTTP status, code and message. */
const grpcError = (status: number, code: number, message: string) =>
  json(status, { error: message, code, message });

/** The k8s API's words for a refused call (its Status message), or the error's own. */
const apiMessage = (e: unknown) => {
  try {
    return JSON.parse((e as { body?: string }).body ?? '').message as string;
  } catch {
    return (e as Error).message;
  }
};

/** The destination cluster's API, or an answer saying why Argo CD cannot reach it. */
function destination(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
): k8s.KubeConfig | SandboxResponse {
  const { server, cluster } = destinationOf(ctx, app, argo.clusters);
  if (!cluster)
    return grpcError(
      400,
      3,
      `error getting cluster by server ${JSON.stringify(
        server,
      )}: cluster not found`,
    );
  return clusterConfig(ctx, cluster);
}

/**
 * `GET /api/v1/applications/{name}/resource`: the live manifest of one resource of the
 * application's tree (a managed resource, or a ReplicaSet or pod under one), as Argo CD's
 * `GetResource` answers it (`{manifest}`, a JSON string; a Secret's values masked). A resource
 * outside the tree is refused as Argo CD refuses it (InvalidArgument, "… not found as part of
 * application …"), whatever the cluster holds.
 */
export async function liveResource(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
  query: URLSearchParams,
): Promise<SandboxResponse> {
  const [group, kind, namespace, name] = [
    query.get('group') ?? '',
    query.get('kind') ?? '',
    query.get('namespace') ?? '',
    query.get('resourceName') ?? '',
  ];
  const { nodes } = await resourceTree(ctx, app, argo);
  const node = nodes.find(
    n =>
      (n.group ?? '') === group &&
      n.kind === kind &&
      (n.namespace ?? '') === namespace &&
      n.name === name,
  );
  if (!node)
    return grpcError(
      400,
      3,
      `${kind} ${group} ${name} not found as part of application ${app.metadata.name}`,
    );
  const config = destination(ctx, app, argo);
  if (!(config instanceof k8s.KubeConfig)) return config;
  const version = query.get('version') || node.version;
  try {
    const live: Obj = await k8s.KubernetesObjectApi.makeApiClient(config).read({
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      metadata: { name, namespace },
    });
    if (kind === 'Secret' && !group)
      for (const key of Object.keys(live.data ?? {}))
        live.data[key] = '+'.repeat(8);
    return json(200, { manifest: JSON.stringify(live) });
  } catch (e) {
    return grpcError(404, 5, apiMessage(e));
  }
}

/** Argo CD refuses to gather logs of more pods than this at once. */
const MAX_PODS = 10;

/**
 * `GET /api/v1/applications/{name}/logs` (and `/pods/{pod}/logs`): the logs of the tree's pods
 * that match the query (a pod by name, or every pod under a resource by its kind, group and
 * name), as Argo CD's `PodLogs` streams them through its gateway: one JSON object a line,
 * `{"result": {content, timeStamp, timeStampStr, podName}}`, then `{"result": {"last": true}}`.
 * Read from the kubelet with timestamps, as Argo CD reads them; `follow` answers what there is.
 * The kubelet's refusal (a container waiting to start) ends the stream with its message.
 */
export async function podLogs(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
  query: URLSearchParams,
): Promise<SandboxResponse> {
  const podName = query.get('podName');
  const [kind, group, name] = podName
    ? ['Pod', '', podName]
    : [query.get('kind'), query.get('group'), query.get('resourceName')];
  const namespace = query.get('namespace');
  const { nodes } = await resourceTree(ctx, app, argo);
  const selected = (n: Obj, seen = new Set<Obj>()): boolean => {
    if (seen.has(n)) return false;
    seen.add(n);
    if (
      (!name || n.name === name) &&
      (!kind || n.kind === kind) &&
      (!group || (n.group ?? '') === group) &&
      (!namespace || n.namespace === namespace)
    )
      return true;
    return ((n.parentRefs ?? []) as Obj[]).some(ref =>
      nodes.some(
        p =>
          p.name === ref.name &&
          p.kind === ref.kind &&
          (p.group ?? '') === (ref.group ?? '') &&
          p.namespace === ref.namespace &&
          selected(p, seen),
      ),
    );
  };
  const pods = nodes.filter(n => n.kind === 'Pod' && !n.group && selected(n));
  if (!pods.length) return { status: 200, body: '' };
  if (pods.length > MAX_PODS)
    return grpcError(
      500,
      2,
      'Max pods to view logs are reached. Please provide more granular query.',
    );
  const config = destination(ctx, app, argo);
  if (!(config instanceof k8s.KubeConfig)) return config;
  const core = config.makeApiClient(k8s.CoreV1Api);
  const tail = Number(query.get('tailLines'));
  const entries: Obj[] = [];
  for (const pod of pods) {
    let text: string;
    try {
      text = await core.readNamespacedPodLog({
        name: pod.name,
        namespace: pod.namespace,
        container: query.get('container') || undefined,
        previous: query.get('previous') === 'true',
        timestamps: true,
        ...(tail > 0 && { tailLines: tail }),
      });
    } catch (e) {
      return grpcError(500, 2, apiMessage(e));
    }
    for (const line of text.split('\n').filter(Boolean)) {
      const [timeStampStr, ...words] = line.split(' ');
      entries.push({
        content: words.join(' '),
        timeStamp: timeStampStr,
        timeStampStr,
        podName: pod.name,
      });
    }
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: [...entries, { last: true }]
      .map(result => `${JSON.stringify({ result })}\n`)
      .join(''),
  };
}

/**
 * `GET /api/v1/applications/{name}/events`: a resource's events in the destination cluster,
 * selected as Argo CD selects them (`involvedObject.name`, `.uid` and `.namespace` all equal to
 * the query's, so a query without the resource's uid finds nothing). Events of the application
 * itself (no resource named) live in Argo CD's own cluster, where the sandbox records none.
 */
export async function resourceEvents(
  ctx: SandboxContext,
  app: Application,
  argo: ArgoCdInstance,
  query: URLSearchParams,
): Promise<SandboxResponse> {
  const [name, uid, namespace] = [
    query.get('resourceName') ?? '',
    query.get('resourceUID') ?? '',
    query.get('resourceNamespace') ?? '',
  ];
  if (!name && !uid) return json(200, { metadata: {}, items: [] });
  const config = destination(ctx, app, argo);
  if (!(config instanceof k8s.KubeConfig)) return config;
  try {
    const list = await config.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name},involvedObject.uid=${uid},involvedObject.namespace=${namespace}`,
    });
    return json(200, list);
  } catch (e) {
    return grpcError(500, 2, apiMessage(e));
  }
}
