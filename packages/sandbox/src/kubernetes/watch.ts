import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxResponse } from '../types';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/** How often a watch looks for changes: a Deployment's readiness changes with time, not writes. */
const POLL_MS = 100;

const line = (type: string, object: object) =>
  `${JSON.stringify({ type, object })}\n`;

/**
 * A watch (`?watch=true` on a list): a chunked stream of `{"type", "object"}` lines, as the API
 * server sends them. It starts, without a `resourceVersion` or with "0", with every object as
 * ADDED; from a list's `resourceVersion`, with what changed since (MODIFIED); with
 * `sendInitialEvents=true`, with every object and then the BOOKMARK that ends them
 * (`k8s.io/initial-events-end`), as client-go's watch-list asks. Then ADDED, MODIFIED and
 * DELETED as the objects `list` returns change (their status included), until `timeoutSeconds`
 * or the client goes. Not modelled: 410 Gone for a version too old (the sandbox keeps no history,
 * so an object deleted between the list and the watch is not reported), and periodic bookmarks.
 */
export function watchResponse(
  list: () => Obj[],
  query: URLSearchParams,
  kind: string,
  apiVersion: string,
  resourceVersion: () => string,
): SandboxResponse {
  const from = query.get('resourceVersion') ?? '';
  const initialEvents = query.get('sendInitialEvents') === 'true';
  const timeout = Number(query.get('timeoutSeconds') ?? 1800);
  if (
    initialEvents &&
    (query.get('allowWatchBookmarks') !== 'true' ||
      query.get('resourceVersionMatch') !== 'NotOlderThan')
  )
    return {
      status: 422,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message:
          'sendInitialEvents: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true',
      }),
    };
  const key = (o: Obj) =>
    `${o.metadata.namespace ?? ''}/${o.metadata.name}/${o.metadata.uid ?? ''}`;
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    stream: async (write, closed) => {
      const seen = new Map<string, { json: string; object: Obj }>();
      for (const o of list()) {
        const json = JSON.stringify(o);
        seen.set(key(o), { json, object: o });
        if (initialEvents || !from || from === '0') write(line('ADDED', o));
        else if (Number(o.metadata.resourceVersion) > Number(from))
          write(line('MODIFIED', o));
      }
      if (initialEvents)
        write(
          line('BOOKMARK', {
            kind,
            apiVersion,
            metadata: {
              resourceVersion: resourceVersion(),
              annotations: { 'k8s.io/initial-events-end': 'true' },
            },
          }),
        );
      const deadline = Date.now() + timeout * 1000;
      while (!closed.aborted && Date.now() < deadline) {
        await sleep(POLL_MS, undefined, { signal: closed }).catch(() => {});
        const now = new Map(list().map(o => [key(o), o]));
        for (const [k, o] of now) {
          const json = JSON.stringify(o);
          const before = seen.get(k);
          if (before?.json === json) continue;
          seen.set(k, { json, object: o });
          write(line(before ? 'MODIFIED' : 'ADDED', o));
        }
        for (const [k, { object }] of seen)
          if (!now.has(k)) {
            seen.delete(k);
            write(line('DELETED', object));
          }
      }
    },
  };
}
