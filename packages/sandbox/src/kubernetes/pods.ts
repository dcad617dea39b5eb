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

/**
 * The pods a Deployment's ReplicaSet runs, as the kubelet reports them: running and ready once
 * the Deployment is available; waiting in ContainerCreating while it rolls out; and for a
 * container whose image does not pull (no registry of the sandbox holds it, or the nodes cannot
 * reach one: `reachable` false), ErrImagePull (with the cause) for each try of `pullTryMs`,
 * ImagePullBackOff between tries (an unparsable reference: InvalidImageName).
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
  const hash = createHash('sha256')
    .update(JSON.stringify(template))
    .digest('hex')
    .slice(0, 10);
  const available = phaseOf(deployment, now) === 'active';
  // A Deployment that cannot pull became due at its progress deadline (see the API handler).
  const rolledOutAt = deployment.fails
    ? (deployment.readyAt ?? now) - progressDeadlineMs(o)
    : deployment.createdAt;
  const containers: Obj[] = template.spec?.containers ?? [];
  const statuses = containers.map(c => {
    const failure = pullFailure(String(c.image), images, reachable);
    const ready = !failure && available;
    let state: Record<string, unknown>;
    if (
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
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: `${o.metadata.name}-${hash}-${suffix}`,
        namespace: o.metadata.namespace,
        labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
        creationTimestamp: new Date(rolledOutAt).toISOString(),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${o.metadata.name}-${hash}`,
            controller: true,
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
