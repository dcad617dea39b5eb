import { createHash } from 'node:crypto';
import { phaseOf, SandboxResource } from '../state';
import { pullFailure } from './images';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/** A Deployment's progress deadline (`spec.progressDeadlineSeconds`, Kubernetes' 600 unless set). */
export const progressDeadlineMs = (deployment: Obj) =>
  (deployment.spec?.progressDeadlineSeconds ?? 600) * 1000;

/**
 * Whether a kubelet that keeps failing to pull is backing off `elapsed` ms after the rollout: it
 * tries for `tryMs` (ErrImagePull), then waits `tryMs` doubled after each failure, at most 30
 * times `tryMs` (Kubernetes: 10 s doubling to 5 minutes), and tries again.
 */
function backingOff(elapsed: number, tryMs: number): boolean {
  let t = 0;
  for (let i = 0; ; i++) {
    t += tryMs;
    if (elapsed < t) return false;
    t += tryMs * Math.min(2 ** i, 30);
    if (elapsed < t) return true;
  }
}

/** A UUID derived from `seed`: a derived object keeps its uid from one read to the next. */
function uidOf(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(
    16,
    20,
  )}-${h.slice(20, 32)}`;
}

/** The `pod-template-hash` of a Deployment's current template, which names its ReplicaSet. */
function templateHash(deployment: Obj): string {
  return createHash('sha256')
    .update(JSON.stringify(deployment.spec?.template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

/** The identity of a Deployment's current ReplicaSet, which its pods name as their owner. */
function replicaSetMeta(deployment: Obj) {
  const hash = templateHash(deployment);
  return {
    hash,
    name: `${deployment.metadata.name}-${hash}`,
    uid: uidOf(`${deployment.metadata.uid}/${hash}`),
  };
}

/**
 * The ReplicaSet a Deployment runs its current template with, owned by the Deployment (the
 * sandbox keeps no ReplicaSets of earlier templates): its replica counts are those of `pods`.
 */
export function replicaSetOf(
  deployment: SandboxResource<Obj>,
  pods: Obj[],
): Obj {
  const o = deployment.data;
  const rs = replicaSetMeta(o);
  const template = o.spec?.template ?? {};
  const ready = pods.filter(p => p.status.phase === 'Running').length;
  const labels = { ...template.metadata?.labels, 'pod-template-hash': rs.hash };
  return {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: {
      name: rs.name,
      namespace: o.metadata.namespace,
      uid: rs.uid,
      labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(pods.length),
        'deployment.kubernetes.io/revision': String(o.metadata.generation ?? 1),
      },
      creationTimestamp: new Date(deployment.createdAt).toISOString(),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: o.metadata.name,
          uid: o.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: pods.length,
      selector: {
        ...o.spec?.selector,
        matchLabels: {
          ...o.spec?.selector?.matchLabels,
          'pod-template-hash': rs.hash,
        },
      },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
    status: {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready || undefined,
      availableReplicas: ready || undefined,
      observedGeneration: 1,
    },
  };
}

/**
 * The pods a Deployment's ReplicaSet runs, as the kubelet reports them: running and ready once
 * the Deployment is available; waiting in ContainerCreating while it rolls out; and for a
 * container whose image does not pull (no registry of the sandbox holds it, or the nodes cannot
 * reach one: `reachable` false), ErrImagePull (with the cause) for each try of `pullTryMs`,
 * ImagePullBackOff between tries (an unparsable reference: InvalidImageName); none when the
 * ReplicaSet cannot create them, ContainerCreating while a volume does not mount, and
 * CreateContainerConfigError (with the kubelet's message) while an env Secret is missing.
 */
export function podsOf(
  deployment: SandboxResource<Obj>,
  images: ReadonlySet<string>,
  reachable: boolean,
  pullTryMs: number,
  now = Date.now(),
): Obj[] {
  const o = deployment.data;
  const template = o.spec?.template ?? {};
  const rs = replicaSetMeta(o);
  const hash = rs.hash;
  const available = phaseOf(deployment, now) === 'active';
  // A Deployment that cannot pull became due at its progress deadline (see the API handler).
  const rolledOutAt = deployment.fails
    ? (deployment.readyAt ?? now) - progressDeadlineMs(o)
    : deployment.createdAt;
  const blocked = deployment.blocked;
  // A ReplicaSet that cannot create pods has none.
  if (blocked?.reason === 'FailedCreate') return [];
  const containers: Obj[] = template.spec?.containers ?? [];
  const statuses = containers.map(c => {
    const failure = pullFailure(String(c.image), images, reachable);
    const ready = !failure && !blocked && available;
    let state: Record<string, unknown>;
    // Volumes mount before images are pulled; a container's config is made after.
    if (blocked?.reason === 'FailedMount')
      state = { waiting: { reason: 'ContainerCreating' } };
    else if (
      failure?.reason === 'ErrImagePull' &&
      backingOff(now - rolledOutAt, pullTryMs)
    )
      state = {
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${c.image}"`,
        },
      };
    else if (failure) state = { waiting: failure };
    else if (blocked)
      state = {
        waiting: { reason: blocked.reason, message: blocked.message },
      };
    else if (ready)
      state = { running: { startedAt: new Date(rolledOutAt).toISOString() } };
    else state = { waiting: { reason: 'ContainerCreating' } };
    return {
      name: c.name,
      image: c.image,
      ready,
      started: ready,
      restartCount: 0,
      state,
    };
  });
  const ready = statuses.every(s => s.ready);
  return Array.from({ length: o.spec?.replicas ?? 1 }, (_, i) => {
    const suffix = createHash('sha256')
      .update(`${o.metadata.uid}/${hash}/${i}`)
      .digest('hex')
      .slice(0, 5);
    const name = `${rs.name}-${suffix}`;
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name,
        namespace: o.metadata.namespace,
        uid: uidOf(`${rs.uid}/${name}`),
        labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
        creationTimestamp: new Date(rolledOutAt).toISOString(),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rs.name,
            uid: rs.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: template.spec,
      status: {
        phase: ready ? 'Running' : 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: ready ? 'True' : 'False' },
          { type: 'ContainersReady', status: ready ? 'True' : 'False' },
        ],
        containerStatuses: statuses,
      },
    };
  });
}
