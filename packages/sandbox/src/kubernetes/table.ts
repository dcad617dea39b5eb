import type { SandboxRequest } from '../types';

type Obj = Record<string, any> & { metadata: Record<string, any> };
type Column = [
  name: string,
  type: string,
  priority: number,
  cell: (o: Obj) => unknown,
];

/** Kubernetes' HumanDuration, as the API server prints an age. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (h < 24 * 365 * 2) return `${d}d`;
  if (h < 24 * 365 * 8) {
    const days = d % 365;
    return days ? `${Math.floor(d / 365)}y${days}d` : `${Math.floor(d / 365)}y`;
  }
  return `${Math.floor(d / 365)}y`;
}

const age = (o: Obj) =>
  o.metadata.creationTimestamp
    ? humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp))
    : '<unknown>';
const none = (v: unknown) =>
  v === undefined || v === null || v === '' ? '<none>' : v;
const name: Column = ['Name', 'string', 0, o => o.metadata.name];
const ageColumn: Column = ['Age', 'string', 0, age];

/** The columns `kubectl get` prints for each kind, as the API server's printers define them. */
const COLUMNS: Record<string, Column[]> = {
  Namespace: [name, ['Status', 'string', 0, o => o.status?.phase], ageColumn],
  Secret: [
    name,
    ['Type', 'string', 0, o => o.type],
    ['Data', 'string', 0, o => Object.keys(o.data ?? {}).length],
    ageColumn,
  ],
  Service: [
    name,
    ['Type', 'string', 0, o => o.spec?.type],
    ['Cluster-IP', 'string', 0, o => none(o.spec?.clusterIP)],
    ['External-IP', 'string', 0, o => none(o.spec?.externalIPs?.join(','))],
    [
      'Port(s)',
      'string',
      0,
      o =>
        none(
          (o.spec?.ports ?? [])
            .map((p: Obj) => `${p.port}/${p.protocol ?? 'TCP'}`)
            .join(','),
        ),
    ],
    ageColumn,
    [
      'Selector',
      'string',
      1,
      o =>
        none(
          Object.entries(o.spec?.selector ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ),
    ],
  ],
  Deployment: [
    name,
    [
      'Ready',
      'string',
      0,
      o => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`,
    ],
    ['Up-to-date', 'integer', 0, o => o.status?.updatedReplicas ?? 0],
    ['Available', 'integer', 0, o => o.status?.availableReplicas ?? 0],
    ageColumn,
    [
      'Containers',
      'string',
      1,
      o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: Obj) => c.name)
          .join(','),
    ],
    [
      'Images',
      'string',
      1,
      o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: Obj) => c.image)
          .join(','),
    ],
  ],
  ReplicaSet: [
    name,
    ['Desired', 'integer', 0, o => o.spec?.replicas ?? 0],
    ['Current', 'integer', 0, o => o.status?.replicas ?? 0],
    ['Ready', 'integer', 0, o => o.status?.readyReplicas ?? 0],
    ageColumn,
  ],
  Pod: [
    name,
    [
      'Ready',
      'string',
      0,
      o => {
        const statuses: Obj[] = o.status?.containerStatuses ?? [];
        return `${statuses.filter(s => s.ready).length}/${
          o.spec?.containers?.length ?? statuses.length
        }`;
      },
    ],
    [
      'Status',
      'string',
      0,
      o =>
        (o.status?.containerStatuses ?? []).find((s: Obj) => s.state?.waiting)
          ?.state.waiting.reason ?? o.status?.phase,
    ],
    [
      'Restarts',
      'string',
      0,
      o =>
        String(
          (o.status?.containerStatuses ?? []).reduce(
            (n: number, s: Obj) => n + (s.restartCount ?? 0),
            0,
          ),
        ),
    ],
    ageColumn,
  ],
  Ingress: [
    name,
    ['Class', 'string', 0, o => none(o.spec?.ingressClassName)],
    [
      'Hosts',
      'string',
      0,
      o =>
        (o.spec?.rules ?? []).map((r: Obj) => r.host ?? '*').join(',') || '*',
    ],
    [
      'Address',
      'string',
      0,
      o =>
        (o.status?.loadBalancer?.ingress ?? [])
          .map((i: Obj) => i.hostname ?? i.ip)
          .join(','),
    ],
    ['Ports', 'string', 0, o => (o.spec?.tls?.length ? '80, 443' : '80')],
    ageColumn,
  ],
  Event: [
    [
      'Last Seen',
      'string',
      0,
      o => humanDuration(Date.now() - Date.parse(o.lastTimestamp)),
    ],
    ['Type', 'string', 0, o => o.type],
    ['Reason', 'string', 0, o => o.reason],
    [
      'Object',
      'string',
      0,
      o =>
        `${String(o.involvedObject?.kind).toLowerCase()}/${
          o.involvedObject?.name
        }`,
    ],
    ['Message', 'string', 0, o => o.message],
  ],
};

/** Whether the client asks for a Table (`kubectl get`: `Accept: ...;as=Table;v=v1;g=meta.k8s.io`). */
export const wantsTable = (req: SandboxRequest) =>
  String(req.headers.accept ?? '')
    .split(',')
    .some(
      t =>
        /;\s*as=Table/.test(t) &&
        /;\s*g=meta\.k8s\.io/.test(t) &&
        /;\s*v=v1(;|$)/.test(t),
    );

/**
 * `objects` of `kind` as a `meta.k8s.io/v1` Table: the kind's columns, and each row's object as
 * `includeObject` asks (`PartialObjectMetadata` by default, `Object`, or `None`).
 */
export function asTable(
  kind: string,
  objects: Obj[],
  query: URLSearchParams,
  metadata: Record<string, unknown>,
) {
  const columns = COLUMNS[kind] ?? [name, ageColumn];
  const include = query.get('includeObject') ?? 'PartialObjectMetadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: columns.map(([n, type, priority]) => ({
      name: n,
      type,
      format: n === 'Name' ? 'name' : '',
      description: '',
      priority,
    })),
    rows: objects.map(o => ({
      cells: columns.map(([, , , cell]) => cell(o)),
      ...(include === 'None'
        ? {}
        : {
            object:
              include === 'Object'
                ? o
                : {
                    kind: 'PartialObjectMetadata',
                    apiVersion: 'meta.k8s.io/v1',
                    metadata: o.metadata,
                  },
          }),
    })),
  };
}
