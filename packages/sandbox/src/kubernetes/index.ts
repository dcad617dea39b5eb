import { createHash, randomUUID } from 'node:crypto';
import { phaseOf, SandboxResource } from '../state';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  json,
} from '../types';
import { endpointId } from '../aws/eks';
import { contains, parseCidr } from '../aws/ec2/model';
import { eksTokenError } from './authn';
import { callerArn } from '../aws/sts';
import { discovery, KINDS } from './discovery';
import { pullFailure } from './images';
import { nodesReachInternet } from './nodes';
import { InvalidObject, stored } from './objects';
import { nameError } from './validation';
import { knownFields } from './schema';
import { strategicMerge } from './strategicMerge';
import { podLog } from './logs';
import { podsOf, progressDeadlineMs, replicaSetOf } from './pods';
import { mountsSecrets, podBlocker, rotationInterval } from './podSetup';
import { activeAddon } from '../aws/eksAddons';
import {
  EVENT_FIELDS,
  matches,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';
import { podEvents } from './events';
import { asTable, wantsTable } from './table';
import { watchResponse } from './watch';

type Obj = Record<string, any> & { metadata: Record<string, any> };

const status = (
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
) =>
  json(code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason,
    details,
    code,
  });

/** RFC 7386 JSON merge patch. */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    return patch;
  const out =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...target }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, replace, remove. */
function jsonPatch(target: any, ops: any[]): any {
  const doc = JSON.parse(JSON.stringify(target));
  for (const op of ops) {
    const keys = String(op.path)
      .split('/')
      .slice(1)
      .map(k => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    const parent = keys.reduce((o, k) => (o[k] ??= {}), doc);
    if (op.op === 'remove') delete parent[last];
    else if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent) && last === '-') parent.push(op.value);
      else parent[last] = op.value;
    } else throw new Error(`unsupported JSON patch op ${op.op}`);
  }
  return doc;
}

/** A Deployment's status: available once its pods would be ready. */
function withStatus(r: SandboxResource<Obj>) {
  const o = r.data;
  if (o.kind === 'Namespace')
    return {
      ...o,
      status: { phase: phaseOf(r) === 'deleting' ? 'Terminating' : 'Active' },
    };
  if (o.kind === 'Ingress') {
    // The AWS Load Balancer Controller gives an ingress its load balancer's name.
    const [, region] = r.id.split('/');
    const hash = createHash('sha256').update(r.id).digest('hex');
    return {
      ...o,
      status: {
        loadBalancer: {
          ingress: [
            {
              hostname: `k8s-${o.metadata.namespace}-${
                o.metadata.name
              }-${hash.slice(0, 10)}-${parseInt(
                hash.slice(10, 18),
                16,
              )}.${region}.elb.amazonaws.com`.slice(0, 253),
            },
          ],
        },
      },
    };
  }
  if (o.kind !== 'Deployment') return o;
  const replicas = o.spec?.replicas ?? 1;
  const phase = phaseOf(r);
  const ready = phase === 'active' ? replicas : 0;
  const conditions =
    phase === 'failed'
      ? [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${o.metadata.name}" has timed out progressing.`,
          },
          {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
        ]
      : [
          {
            type: 'Available',
            status: ready ? 'True' : 'False',
            reason: ready
              ? 'MinimumReplicasAvailable'
              : 'MinimumReplicasUnavailable',
            message: ready
              ? 'Deployment has minimum availability.'
              : 'Deployment does not have minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: ready ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
            message: `ReplicaSet "${o.metadata.name}" is progressing.`,
          },
        ];
  // A ReplicaSet that cannot create its pods says so on the Deployment.
  if (r.blocked?.reason === 'FailedCreate')
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: r.blocked.message,
    });
  return {
    ...o,
    status: {
      observedGeneration: o.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready || undefined,
      availableReplicas: ready || undefined,
      unavailableReplicas: replicas - ready || undefined,
      conditions,
    },
  };
}

/**
 * Whether a caller from the internet reaches a cluster's endpoint: its public endpoint is on and
 * one of its publicAccessCidrs holds the caller's address. ("If you disable public access, your
 * cluster's Kubernetes API server can only receive requests from within the cluster VPC.")
 */
function reachableFromInternet(
  ctx: SandboxContext,
  cluster: SandboxResource,
): boolean {
  const c = cluster.data as {
    endpointPublicAccess: boolean;
    publicAccessCidrs?: string[];
  };
  if (!c.endpointPublicAccess) return false;
  const caller = parseCidr(`${ctx.clientPublicIp}/32`);
  return (c.publicAccessCidrs ?? ['0.0.0.0/0']).some(cidr => {
    const block = parseCidr(cidr);
    return !!block && !!caller && contains(block, caller);
  });
}

/** Namespaces every cluster has; the first three may not be deleted (NamespaceLifecycle). */
const IMMORTAL = ['default', 'kube-system', 'kube-public'];
const SYSTEM_NAMESPACES = [...IMMORTAL, 'kube-node-lease'];

/** Creates a cluster's system namespaces the first time its API is used. */
function systemNamespaces(
  ctx: SandboxContext,
  clusterId: string,
  createdAt: number,
) {
  for (const name of SYSTEM_NAMESPACES) {
    const id = `${clusterId}//Namespace/${name}`;
    if (ctx.state.get('kubernetes', 'namespace', id)) continue;
    ctx.state.put<Obj>({
      service: 'kubernetes',
      type: 'namespace',
      id,
      createdAt,
      data: {
        kind: 'Namespace',
        apiVersion: 'v1',
        metadata: {
          name,
          uid: randomUUID(),
          creationTimestamp: new Date(createdAt).toISOString(),
          resourceVersion: String(ctx.state.next()),
          labels: { 'kubernetes.io/metadata.name': name },
        },
        spec: { finalizers: ['kubernetes'] },
      },
    });
  }
}

/**
 * When a Deployment's pods become ready: after the rollout's time; never when they cannot pull
 * their image (no registry holds it, or the nodes reach none) or cannot start (`blocked`), so
 * the Deployment makes no progress and fails at its deadline.
 */
function rollOut(
  ctx: SandboxContext,
  clusterId: string,
  r: SandboxResource<Obj>,
  failLongOperation = false,
) {
  const reachable = nodesReachInternet(ctx.state, clusterId);
  const unpullable = (r.data.spec?.template?.spec?.containers ?? []).some(
    (c: Obj) => pullFailure(String(c.image), ctx.images, reachable),
  );
  const stuck = unpullable || !!r.blocked;
  r.readyAt =
    Date.now() +
    (stuck ? progressDeadlineMs(r.data) : ctx.durations.deployment);
  r.fails = stuck || failLongOperation || undefined;
}

/**
 * The kubelet retries what keeps pods from starting: a blocked Deployment still within its
 * progress deadline rolls out once what it waited for is there (its SecretProviderClass applied
 * after it, say), and a blocker that changed is reported as it is now.
 */
function unblock(ctx: SandboxContext, cluster: SandboxResource) {
  for (const r of ctx.state.list<Obj>('kubernetes', 'deployment')) {
    if (!r.blocked || !r.id.startsWith(`${cluster.id}/`)) continue;
    if (phaseOf(r) !== 'creating') continue;
    const now = podBlocker(
      ctx.state,
      cluster,
      r.data.metadata.namespace,
      r.data.spec?.template ?? {},
    );
    if (now?.message === r.blocked.message) continue;
    r.blocked = now;
    if (!now) rollOut(ctx, cluster.id, r);
    ctx.state.put(r);
  }
}

/**
 * The Secrets Store CSI driver's rotation: the running pods of a Deployment that mounts secrets
 * read them again every `rotationInterval`, which rewrites the Secrets they sync (a read that
 * fails keeps what was mounted, as the driver does).
 */
function rotate(ctx: SandboxContext, cluster: SandboxResource) {
  const interval = rotationInterval(ctx.state, cluster);
  if (interval === undefined) return;
  const now = Date.now();
  for (const r of ctx.state.list<Obj>('kubernetes', 'deployment')) {
    if (!r.id.startsWith(`${cluster.id}/`) || phaseOf(r) !== 'active') continue;
    const template = r.data.spec?.template ?? {};
    if (!mountsSecrets(template)) continue;
    if (now - (r.syncedAt ?? r.readyAt ?? r.createdAt) < interval) continue;
    podBlocker(ctx.state, cluster, r.data.metadata.namespace, template);
    r.syncedAt = now;
    ctx.state.put(r);
  }
}

/**
 * Whether EKS maps an account's identity to a Kubernetes user of `cluster`: the account's IAM
 * identity created the cluster (EKS makes its creator an admin), or holds an access entry there.
 * Another account's identity without one is refused.
 */
function tokenAllowed(
  ctx: SandboxContext,
  cluster: SandboxResource,
  account: string,
) {
  return (
    account === cluster.account ||
    !!ctx.state.get(
      'eks',
      'access-entry',
      `${cluster.id}/${callerArn(account)}`,
    )
  );
}

/** The Kubernetes API of each ACTIVE EKS cluster: `/k8s/{endpoint id}/api/v1/...` and `/apis/...`. */
export async function handleKubernetes(
  req: SandboxRequest,
  ctx: SandboxContext,
  from: 'internet' | 'vpc',
): Promise<SandboxResponse> {
  const segments = req.path.split('/').filter(Boolean);
  const cluster = ctx.state
    .list('eks', 'cluster')
    .find(c => endpointId(c.id) === segments[0]);
  if (!cluster || phaseOf(cluster) !== 'active') {
    return status(
      503,
      'ServiceUnavailable',
      `No cluster serves the endpoint ${segments[0]} (it does not exist or is not ACTIVE).`,
    );
  }
  if (
    ctx.privateEndpoints &&
    from === 'internet' &&
    !reachableFromInternet(ctx, cluster)
  )
    return { status: 0, drop: true };
  const clusterId = cluster.id;
  systemNamespaces(ctx, clusterId, cluster.createdAt);
  unblock(ctx, cluster);
  rotate(ctx, cluster);
  // Like EKS, the reason a token is refused stays on the server.
  if (
    eksTokenError(String(req.headers.authorization ?? ''), {
      cluster: (cluster.data as { name: string }).name,
      secret: ctx.secretAccessKey,
      allowed: account => tokenAllowed(ctx, cluster, account),
    })
  )
    return status(401, 'Unauthorized', 'Unauthorized');

  // /api/v1/... or /apis/{group}/{version}/..., after discovery (/version, /api, /apis, ...).
  const rest = segments.slice(1);
  const installed = (addon: string) => !!activeAddon(ctx.state, cluster, addon);
  const document =
    req.method === 'GET' &&
    discovery(rest, (cluster.data as { version: string }).version, installed);
  if (document) return json(200, document);
  let groupVersion: string;
  let tail: string[];
  if (rest[0] === 'api' && rest[1] === 'v1')
    [groupVersion, tail] = ['v1', rest.slice(2)];
  else if (rest[0] === 'apis' && rest.length >= 3)
    [groupVersion, tail] = [`${rest[1]}/${rest[2]}`, rest.slice(3)];
  else
    return status(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${req.path})`,
    );

  let namespace: string | undefined;
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    namespace = tail[1];
    tail = tail.slice(2);
  }
  const [plural, name, sub] = tail;
  if (
    req.method === 'GET' &&
    ((groupVersion === 'v1' && (plural === 'pods' || plural === 'events')) ||
      (groupVersion === 'apps/v1' && plural === 'replicasets'))
  )
    return derived(req, ctx, clusterId, plural, namespace, name, sub);
  const def = KINDS[`${groupVersion}/${plural}`];
  if (
    !def ||
    (def.installedBy && !installed(def.installedBy)) ||
    (def.namespaced && !namespace && req.method !== 'GET')
  ) {
    return status(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${req.path})`,
    );
  }
  const op = `${req.method} ${def.kind}${sub ? `/${sub}` : ''}`;
  const outcome = await ctx.fault('kubernetes', op);
  if (outcome.error === 'throttle')
    return status(
      429,
      'TooManyRequests',
      'Too many requests, please try again later.',
    );
  if (outcome.error)
    return status(
      500,
      'InternalError',
      'Internal error occurred: sandbox fault injection',
    );

  const idOf = (ns: string | undefined, n: string) =>
    `${clusterId}/${ns ?? ''}/${def.kind}/${n}`;
  const all = () =>
    ctx.state
      .list<Obj>('kubernetes', def.kind.toLowerCase())
      .filter(r => r.id.startsWith(`${clusterId}/`));
  const nsOf = (ns: string) =>
    ctx.state.get('kubernetes', 'namespace', `${clusterId}//Namespace/${ns}`);
  const nsExists = (ns: string) => !!nsOf(ns);
  /** A namespace being deleted: it takes no new content until it is gone. */
  const terminating = (ns: string) => {
    const r = nsOf(ns);
    return !!r && phaseOf(r) === 'deleting';
  };
  /** The cluster IPs this cluster's Services hold. */
  const clusterIps = () =>
    new Set(
      ctx.state
        .list<Obj>('kubernetes', 'service')
        .filter(r => r.id.startsWith(`${clusterId}/`))
        .map(r => String(r.data.spec?.clusterIP)),
    );
  const notFound = (n: string) =>
    status(
      404,
      'NotFound',
      `${plural}${
        def.apiVersion.includes('/') ? `.${def.apiVersion.split('/')[0]}` : ''
      } "${n}" not found`,
      { name: n, kind: plural },
    );
  let body: any;
  if (req.body.length) {
    // JSON and its patch types; not YAML or protobuf, which the real API server also takes.
    const type = String(req.headers['content-type'] ?? 'application/json');
    const accepted =
      req.method === 'PATCH'
        ? [
            'application/json-patch+json',
            'application/merge-patch+json',
            'application/strategic-merge-patch+json',
          ]
        : ['application/json'];
    if (!accepted.includes(type.split(';')[0].trim()))
      return status(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${accepted.join(
          ', ',
        )}`,
      );
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch (e) {
      return status(
        400,
        'BadRequest',
        `the body of the request could not be decoded as JSON: ${
          (e as Error).message
        }`,
      );
    }
  }
  // `dryRun=All` (the only value the API server takes) validates a write and answers with its
  // result, persisting nothing: `kubectl apply --dry-run=server`, `helm --dry-run=server`. A
  // delete may say it in its DeleteOptions body instead, as kubectl does.
  const dryRuns = [
    ...req.query.getAll('dryRun'),
    ...(req.method === 'DELETE' && Array.isArray(body?.dryRun)
      ? body.dryRun.map(String)
      : []),
  ];
  const unsupported = dryRuns.find(v => v !== 'All');
  if (req.method !== 'GET' && unsupported !== undefined)
    return status(
      400,
      'BadRequest',
      `dryRun: Unsupported value: "${unsupported}": supported values: "All"`,
    );
  const dryRun = req.method !== 'GET' && dryRuns.length > 0;
  // `fieldValidation` (Warn unless given): fields the kind does not have are dropped from what
  // is stored, and warned of (Warn), refused (Strict, kubectl's default) or not (Ignore).
  const fieldValidation = req.query.get('fieldValidation') ?? '';
  if (
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    !['', 'Ignore', 'Warn', 'Strict'].includes(fieldValidation)
  )
    return status(
      400,
      'BadRequest',
      `fieldValidation: Unsupported value: "${fieldValidation}": supported values: "", "Ignore", "Strict", "Warn"`,
    );
  let warnings: Record<string, string> = {};
  /** `object` with only its kind's fields; a string when Strict refuses what it had more. */
  const validated = (object: Obj): Obj | string => {
    const known = knownFields(def.kind, object);
    if (!known.unknown.length) return known.object;
    const fields = known.unknown.map(f => `unknown field "${f}"`);
    if (fieldValidation === 'Strict')
      return `${def.kind} in version "${def.apiVersion
        .split('/')
        .pop()}" cannot be handled as a ${
        def.kind
      }: strict decoding error: ${fields.join(', ')}`;
    if (fieldValidation !== 'Ignore')
      warnings = {
        warning: fields.map(f => `299 - ${JSON.stringify(f)}`).join(', '),
      };
    return known.object;
  };
  const save = (r: SandboxResource<Obj>, resetReadiness: boolean) => {
    if (dryRun) return withStatus(r);
    if (def.kind === 'Deployment' && resetReadiness) {
      r.blocked = podBlocker(
        ctx.state,
        cluster,
        r.data.metadata.namespace,
        r.data.spec?.template ?? {},
      );
      rollOut(ctx, clusterId, r, outcome.failLongOperation);
    }
    r.data.metadata.resourceVersion = String(ctx.state.next());
    ctx.state.put(r);
    return withStatus(r);
  };

  if (!name) {
    if (req.method === 'GET')
      return collection(
        req,
        ctx,
        () =>
          all()
            .filter(r => !namespace || r.data.metadata.namespace === namespace)
            .map(withStatus),
        def.kind,
        def.apiVersion,
      );
    if (req.method !== 'POST')
      return status(
        405,
        'MethodNotAllowed',
        `${req.method} is not allowed on a collection`,
      );
    const n = body?.metadata?.name;
    const invalidName = nameError(def.kind, n);
    if (invalidName)
      return status(422, 'Invalid', invalidName, { name: n, kind: def.kind });
    if (namespace && !nsExists(namespace))
      return status(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    if (namespace && terminating(namespace))
      return status(
        403,
        'Forbidden',
        `${plural}${
          def.kind === 'Deployment' ? '.apps' : ''
        } "${n}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: n, kind: plural },
      );
    const taken = ctx.state.get(
      'kubernetes',
      def.kind.toLowerCase(),
      idOf(namespace, n),
    );
    if (taken && phaseOf(taken) === 'deleting')
      return status(
        409,
        'AlreadyExists',
        `object is being deleted: ${plural} "${n}" already exists`,
        { name: n, kind: plural },
      );
    if (taken) {
      return status(
        409,
        'AlreadyExists',
        `${plural}${
          def.kind === 'Deployment' ? '.apps' : ''
        } "${n}" already exists`,
        { name: n, kind: plural },
      );
    }
    const known = validated(body);
    if (typeof known === 'string') return status(400, 'BadRequest', known);
    let obj: Obj;
    try {
      obj = {
        ...stored(def.kind, known, undefined, clusterIps()),
        kind: def.kind,
        apiVersion: def.apiVersion,
      };
    } catch (e) {
      if (e instanceof InvalidObject) return status(422, 'Invalid', e.message);
      throw e;
    }
    obj.metadata = {
      ...obj.metadata,
      namespace,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
      generation: 1,
    };
    const r: SandboxResource<Obj> = {
      service: 'kubernetes',
      type: def.kind.toLowerCase(),
      id: idOf(namespace, n),
      createdAt: Date.now(),
      data: obj,
    };
    return json(201, save(r, true), warnings);
  }

  const r = ctx.state.get<Obj>(
    'kubernetes',
    def.kind.toLowerCase(),
    idOf(namespace, name),
  );
  if (!r) return notFound(name);
  switch (req.method) {
    case 'GET':
      return one(req, def.kind, withStatus(r));
    case 'PUT':
    case 'PATCH': {
      const type = String(req.headers['content-type'] ?? '');
      let next: Obj;
      try {
        if (req.method === 'PUT') next = body;
        else if (type.includes('json-patch')) next = jsonPatch(r.data, body);
        else if (type.includes('strategic-merge-patch'))
          next = strategicMerge(r.data, body);
        else next = mergePatch(r.data, body);
        const known = validated(next);
        if (typeof known === 'string') return status(400, 'BadRequest', known);
        next = stored(
          def.kind,
          { ...known, metadata: known?.metadata ?? {} },
          r.data,
          clusterIps(),
        );
      } catch (e) {
        return status(422, 'Invalid', (e as Error).message);
      }
      // An update that names a resourceVersion applies only to that version (optimistic
      // concurrency); one that names none applies to whatever is there.
      const expected = next?.metadata?.resourceVersion;
      if (expected && expected !== r.data.metadata.resourceVersion)
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${plural}${
            def.kind === 'Deployment' ? '.apps' : ''
          } "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: plural },
        );
      const specChanged =
        JSON.stringify(next.spec) !== JSON.stringify(r.data.spec);
      const data: Obj = {
        ...next,
        kind: def.kind,
        apiVersion: def.apiVersion,
        metadata: {
          ...next.metadata,
          name,
          namespace,
          uid: r.data.metadata.uid,
          creationTimestamp: r.data.metadata.creationTimestamp,
          generation: (r.data.metadata.generation ?? 1) + (specChanged ? 1 : 0),
        },
      };
      if (dryRun) return json(200, save({ ...r, data }, false), warnings);
      r.data = data;
      return json(200, save(r, specChanged), warnings);
    }
    case 'DELETE': {
      if (def.kind === 'Namespace' && IMMORTAL.includes(name))
        return status(
          403,
          'Forbidden',
          `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          { name, kind: plural },
        );
      if (dryRun && phaseOf(r) !== 'deleting') return json(200, withStatus(r));
      if (def.kind !== 'Namespace') {
        ctx.state.remove('kubernetes', r.type, r.id);
        return status(200, 'Deleted', `${def.kind} ${name} deleted`, {
          name,
          kind: plural,
          uid: r.data.metadata.uid,
        });
      }
      // A namespace terminates: its content goes, then it, after namespaceDelete.
      if (phaseOf(r) === 'deleting')
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
          { name, kind: plural },
        );
      for (const kind of Object.values(KINDS)
        .filter(k => k.namespaced)
        .map(k => k.kind.toLowerCase())) {
        ctx.state
          .list<Obj>('kubernetes', kind)
          .filter(x => x.id.startsWith(`${clusterId}/${name}/`))
          .forEach(x => ctx.state.remove('kubernetes', kind, x.id));
      }
      r.goneAt = Date.now() + ctx.durations.namespaceDelete;
      r.data.metadata.deletionTimestamp = new Date().toISOString();
      return json(200, save(r, false));
    }
    default:
      return status(405, 'MethodNotAllowed', `${req.method} is not allowed`);
  }
}

/**
 * GET of what the cluster's controllers and kubelets derive from its Deployments: pods
 * (`/api/v1/[namespaces/{ns}/]pods[/{name}[/log]]`), their events (`/api/v1/[...]events`) and
 * the current ReplicaSet of each (`/apis/apps/v1/[namespaces/{ns}/]replicasets[/{name}]`),
 * read-only.
 */
function derived(
  req: SandboxRequest,
  ctx: SandboxContext,
  clusterId: string,
  plural: 'pods' | 'events' | 'replicasets',
  namespace: string | undefined,
  name: string | undefined,
  sub: string | undefined,
): SandboxResponse {
  const reachable = nodesReachInternet(ctx.state, clusterId);
  const deployments = () =>
    ctx.state
      .list<Obj>('kubernetes', 'deployment')
      .filter(r => r.id.startsWith(`${clusterId}/`))
      .filter(r => !namespace || r.data.metadata.namespace === namespace);
  const podsOfDeployment = (r: SandboxResource<Obj>) =>
    podsOf(r, ctx.images, reachable, ctx.durations.deployment);
  const all = (): Obj[] => {
    if (plural === 'replicasets')
      return deployments().map(r => replicaSetOf(r, podsOfDeployment(r)));
    if (plural === 'pods') return deployments().flatMap(podsOfDeployment);
    return deployments().flatMap(d =>
      podsOfDeployment(d).flatMap(p =>
        podEvents(
          p,
          image => pullFailure(image, ctx.images, reachable),
          d.blocked,
        ),
      ),
    );
  };
  const [kind, apiVersion] = {
    pods: ['Pod', 'v1'],
    events: ['Event', 'v1'],
    replicasets: ['ReplicaSet', 'apps/v1'],
  }[plural];
  if (!name)
    return collection(
      req,
      ctx,
      all,
      kind,
      apiVersion,
      plural === 'events' ? EVENT_FIELDS : [],
    );
  const object = all().find(o => o.metadata.name === name);
  if (!object)
    return status(
      404,
      'NotFound',
      `${plural}${plural === 'replicasets' ? '.apps' : ''} "${name}" not found`,
      { name, kind: plural },
    );
  if (!sub) return one(req, kind, object);
  if (plural === 'pods' && sub === 'log') return podLog(object, req.query);
  return status(
    404,
    'NotFound',
    `the server could not find the requested resource (${req.method} ${req.path})`,
  );
}

/**
 * A list, or with `watch=true` a watch, of the objects `objects` returns that `labelSelector` and
 * `fieldSelector` select (a selector that does not parse is 400); a list is paged.
 */
function collection(
  req: SandboxRequest,
  ctx: SandboxContext,
  objects: () => Obj[],
  kind: string,
  apiVersion: string,
  selectableFields: readonly string[] = [],
): SandboxResponse {
  let selected: (o: Obj) => boolean;
  try {
    const labels = parseLabelSelector(req.query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(
      req.query.get('fieldSelector') ?? '',
      selectableFields,
    );
    selected = o => matches(labels, o.metadata.labels ?? {}) && fields(o);
  } catch (e) {
    return status(400, 'BadRequest', (e as Error).message);
  }
  const items = () => objects().filter(selected);
  if (/^(true|1)$/.test(req.query.get('watch') ?? ''))
    return watchResponse(items, req.query, kind, apiVersion, () =>
      String(ctx.state.next()),
    );
  const page = paginate(items(), req.query);
  if ('error' in page) return status(400, 'BadRequest', page.error);
  const metadata = {
    resourceVersion: String(ctx.state.next()),
    ...page.metadata,
  };
  if (wantsTable(req))
    return json(200, asTable(kind, page.items, req.query, metadata));
  return json(200, {
    kind: `${kind}List`,
    apiVersion,
    metadata,
    items: page.items,
  });
}

/** One object, or as a one-row Table when the client asks for one (`kubectl get kind/name`). */
function one(req: SandboxRequest, kind: string, object: Obj): SandboxResponse {
  return json(
    200,
    wantsTable(req)
      ? asTable(kind, [object], req.query, {
          resourceVersion: object.metadata.resourceVersion,
        })
      : object,
  );
}
/**
 * A page of a list (`limit`, `continue`): items in namespace/name order; the token is opaque,
 * and one that is not this server's is refused, as the API server refuses it.
 */
function paginate(
  items: Obj[],
  query: URLSearchParams,
): { items: Obj[]; metadata: Record<string, unknown> } | { error: string } {
  const sorted = [...items].sort((a, b) =>
    `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
      `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
    ),
  );
  let start = 0;
  const token = query.get('continue');
  if (token) {
    const decoded = /^offset:(\d+)$/.exec(
      Buffer.from(token, 'base64').toString('utf8'),
    );
    if (!decoded)
      return {
        error:
          'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      };
    start = Number(decoded[1]);
  }
  const limit = Number(query.get('limit') ?? 0);
  if (!Number.isInteger(limit) || limit < 0)
    return { error: `invalid limit: ${query.get('limit')}` };
  const end = limit ? start + limit : sorted.length;
  const rest = sorted.length - end;
  return {
    items: sorted.slice(start, end),
    metadata:
      rest > 0
        ? {
            continue: Buffer.from(`offset:${end}`).toString('base64'),
            remainingItemCount: rest,
          }
        : {},
  };
}
