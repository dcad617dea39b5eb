import { createHash } from 'node:crypto';
import type { PullFailure } from './images';
import type { PodBlocker } from '../state';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/**
 * The events the kubelet records for a derived pod's containers, as `kubectl describe` and
 * Backstage's pod drawer read them: pulling the image, then pulled, created and started; or the
 * pull's failure in the container runtime's words, the back-off, and the error the pod waits in.
 * `failureOf` says why an image does not pull (undefined when it does).
 */
export function podEvents(
  pod: Obj,
  failureOf: (image: string) => PullFailure | undefined,
  blocked?: PodBlocker,
): Obj[] {
  const events: Obj[] = [];
  const at = pod.metadata.creationTimestamp;
  const add = (
    container: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    time = at,
  ) => {
    const id = createHash('sha256')
      .update(`${pod.metadata.uid}/${events.length}`)
      .digest('hex');
    // Named as the kubelet names them, `{pod}.{time in ns, hex}`: a list is in time order.
    const ns = BigInt(Date.parse(time)) * 1_000_000n + BigInt(events.length);
    events.push({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: {
        name: `${pod.metadata.name}.${ns.toString(16)}`,
        namespace: pod.metadata.namespace,
        uid: `${id.slice(16, 24)}-${id.slice(24, 28)}-${id.slice(
          28,
          32,
        )}-${id.slice(32, 36)}-${id.slice(36, 48)}`,
        creationTimestamp: time,
      },
      involvedObject: {
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        apiVersion: 'v1',
        ...(container && { fieldPath: `spec.containers{${container}}` }),
      },
      reason,
      message,
      source: { component: 'kubelet' },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: '',
    });
  };
  if (blocked?.reason === 'FailedMount') {
    add('', 'Warning', 'FailedMount', blocked.message);
    return events;
  }
  for (const s of pod.status?.containerStatuses ?? []) {
    const waiting = s.state?.waiting?.reason;
    const failure = failureOf(s.image);
    if (failure?.reason === 'InvalidImageName') {
      add(s.name, 'Warning', 'InspectFailed', failure.message);
      add(s.name, 'Warning', 'Failed', 'Error: InvalidImageName');
      continue;
    }
    add(s.name, 'Normal', 'Pulling', `Pulling image "${s.image}"`);
    if (failure) {
      add(s.name, 'Warning', 'Failed', failure.message);
      add(s.name, 'Warning', 'Failed', 'Error: ErrImagePull');
      if (waiting === 'ImagePullBackOff') {
        add(s.name, 'Normal', 'BackOff', `Back-off pulling image "${s.image}"`);
        add(s.name, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      }
      continue;
    }
    if (waiting === 'CreateContainerConfigError') {
      add(s.name, 'Warning', 'Failed', `Error: ${s.state.waiting.message}`);
      continue;
    }
    const started = s.state?.running?.startedAt;
    if (!started) continue;
    add(
      s.name,
      'Normal',
      'Pulled',
      `Successfully pulled image "${s.image}"`,
      started,
    );
    add(s.name, 'Normal', 'Created', `Created container: ${s.name}`, started);
    add(s.name, 'Normal', 'Started', `Started container ${s.name}`, started);
  }
  return events;
}
