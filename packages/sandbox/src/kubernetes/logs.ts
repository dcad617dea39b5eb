import { json, SandboxResponse } from '../types';

type Obj = Record<string, any> & { metadata: Record<string, any> };

const badRequest = (message: string) =>
  json(400, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'BadRequest',
    code: 400,
  });

/**
 * `GET .../pods/{name}/log` of a derived pod, as the kubelet answers it: the container named by
 * `container` (required when the pod has several), refused while it waits to start (with the
 * kubelet's words for an image that does not pull) or when `previous` asks for a container that
 * never terminated; `tailLines` and `timestamps` honoured. The sandbox runs no image, so a
 * running container's log is the one line saying so. `follow` answers what there is and ends.
 */
export function podLog(pod: Obj, query: URLSearchParams): SandboxResponse {
  const podName = pod.metadata.name;
  const containers: Obj[] = pod.spec?.containers ?? [];
  let name = query.get('container');
  if (!name) {
    if (containers.length !== 1)
      return badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${containers
          .map(c => c.name)
          .join(' ')}]`,
      );
    name = containers[0].name;
  }
  const status = (pod.status?.containerStatuses ?? []).find(
    (s: Obj) => s.name === name,
  );
  if (!containers.some(c => c.name === name) || !status)
    return badRequest(`container ${name} is not valid for pod ${podName}`);
  const tail = query.get('tailLines');
  if (tail !== null && !/^\d+$/.test(tail))
    return badRequest(
      `tailLines: Invalid value: ${JSON.stringify(
        tail,
      )}: must be greater than or equal to 0`,
    );
  // A bool query parameter is true unless it is "0" or "false" (even when empty: `previous=`).
  const flag = (key: string) =>
    query.has(key) && !/^(0|false)$/i.test(query.get(key) ?? '');
  if (flag('previous'))
    return badRequest(
      `previous terminated container "${name}" in pod "${podName}" not found`,
    );
  const waiting = status.state?.waiting?.reason;
  if (waiting) {
    const why =
      {
        ErrImagePull: "image can't be pulled",
        ImagePullBackOff: 'trying and failing to pull image',
      }[waiting as string] ?? waiting;
    return badRequest(
      `container "${name}" in pod "${podName}" is waiting to start: ${why}`,
    );
  }
  const startedAt = String(status.state?.running?.startedAt);
  const lines = [
    {
      at: startedAt,
      text: `[sandbox] container ${name} started from ${status.image}; the sandbox runs no image, so it writes nothing more`,
    },
  ];
  const shown =
    tail === null ? lines : lines.slice(Math.max(0, lines.length - +tail));
  return {
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: shown
      .map(l => `${flag('timestamps') ? `${l.at} ` : ''}${l.text}\n`)
      .join(''),
  };
}
