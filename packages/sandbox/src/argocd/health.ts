/**
 * Argo CD's health assessment of live objects, as gitops-engine's built-in checks make it
 * (`pkg/health`): a Deployment by its rollout, an Ingress or a LoadBalancer Service by its load
 * balancer, other Services as healthy; kinds without a check have no health.
 */

type Obj = Record<string, any>;

export type HealthStatus =
  | 'Healthy'
  | 'Suspended'
  | 'Progressing'
  | 'Missing'
  | 'Degraded'
  | 'Unknown';

export interface Health {
  status: HealthStatus;
  message?: string;
}

/** From the most healthy to the least (gitops-engine's `healthOrder`). */
const ORDER: HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

/** Whether `next` is a worse condition than `current`. */
export const isWorse = (current: HealthStatus, next: HealthStatus) =>
  ORDER.indexOf(next) > ORDER.indexOf(current);

function deploymentHealth(d: Obj): Health {
  if (d.spec?.paused)
    return { status: 'Suspended', message: 'Deployment is paused' };
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0))
    return {
      status: 'Progressing',
      message:
        'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  const progressing = (s.conditions ?? []).find(
    (c: Obj) => c.type === 'Progressing',
  );
  const replicas = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      status: 'Degraded',
      message: `Deployment "${d.metadata.name}" exceeded its progress deadline`,
    };
  if (updated < replicas)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
    };
  if ((s.replicas ?? 0) > updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${
        s.replicas - updated
      } old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { status: 'Healthy' };
}

const loadBalanced = (o: Obj): Health => ({
  status: (o.status?.loadBalancer?.ingress ?? []).length
    ? 'Healthy'
    : 'Progressing',
});

/**
 * A pod's health, as gitops-engine judges it: a pod that restarts its containers (`Always`) with a
 * container waiting for a reason that names an error (`Err…`, `…Error`, `…BackOff`) is Degraded with
 * the containers' messages; otherwise by its phase (Pending: Progressing; Running: Healthy once
 * ready; Succeeded: Healthy; Failed: Degraded).
 */
export function podHealth(pod: Obj): Health {
  if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') {
    const messages = ((pod.status?.containerStatuses ?? []) as Obj[])
      .map(c => c.state?.waiting)
      .filter(
        (w: Obj | undefined) =>
          w &&
          (/^Err/.test(w.reason) ||
            /Error$/.test(w.reason) ||
            /BackOff$/.test(w.reason)),
      )
      .map((w: Obj) => w.message ?? w.reason);
    if (messages.length)
      return { status: 'Degraded', message: messages.join(', ') };
  }
  switch (pod.status?.phase) {
    case 'Succeeded':
      return { status: 'Healthy', message: pod.status.message };
    case 'Failed':
      return { status: 'Degraded', message: pod.status.message };
    case 'Running': {
      const ready = ((pod.status?.conditions ?? []) as Obj[]).find(
        c => c.type === 'Ready',
      );
      return ready?.status === 'True'
        ? { status: 'Healthy' }
        : { status: 'Progressing', message: pod.status.message };
    }
    default:
      return { status: 'Progressing', message: pod.status?.message };
  }
}

/** The health of a live object, or undefined for a kind Argo CD has no check for. */
export function resourceHealth(live: Obj): Health | undefined {
  switch (live.kind) {
    case 'Deployment':
      return deploymentHealth(live);
    case 'Ingress':
      return loadBalanced(live);
    case 'Service':
      return live.spec?.type === 'LoadBalancer'
        ? loadBalanced(live)
        : { status: 'Healthy' };
    default:
      return undefined;
  }
}
