import { createHash } from 'node:crypto';
import { phaseOf, SandboxResource } from '../state';
import { pullFailure } from './images';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/** A Deployment's progress deadline (`spec.progressDeadlineSeconds`, Kubernetes' 600 unless set). */
export const progressDeadlineMs = (deployment: Obj) =>
  (deployment.spec?.progressDeadlineSeconds ?? 600) * 1000;

/** One requirement of a label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. */
type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Parses a `labelSelector` query parameter as the API server does, or throws with its message
 * for one it cannot parse.
 */
export function parseLabelSelector(selector: string): Requirement[] {
  const terms: string[] = [];
  let depth = 0;
  let term = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(term);
      term = '';
    } else term += ch;
  }
  terms.push(term);
  const key = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
  const value = (v: string) =>
    v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v);
  return terms
    .map(t => t.trim())
    .filter(Boolean)
    .map(t => {
      let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(t);
      if (m && key.test(m[1]) && value(m[3])) {
        const [, k, op, v] = m;
        return op === '!='
          ? labels => labels[k] !== v
          : labels => labels[k] === v;
      }
      m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
      if (m && key.test(m[1])) {
        const [, k, op, list] = m;
        const values = list.split(',').map(v => v.trim());
        if (!values.every(value))
          throw new Error(`unable to parse requirement: ${t}`);
        return op === 'in'
          ? labels => k in labels && values.includes(labels[k])
          : labels => !(k in labels) || !values.includes(labels[k]);
      }
      m = /^(!?)(\S+)$/.exec(t);
      if (m && key.test(m[2])) {
        const [, not, k] = m;
        return labels => k in labels !== !!not;
      }
      throw new Error(`unable to parse requirement: ${t}`);
    });
}

/** Whether `labels` satisfy every requirement. */
export const matches = (
  requirements: Requirement[],
  labels: Record<string, string> = {},
) => requirements.every(r => r(labels));

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
