import { randomUUID } from 'node:crypto';
import type { SandboxContext, SandboxRequest, SandboxResponse } from '../types';
import { json } from '../types';
import type { SandboxResource, SandboxState } from '../state';
import { phaseOf } from '../state';
import {
  type Application,
  type RegisteredCluster,
  deleteResources,
  reconcile,
  resourceTree,
} from './reconcile';
import { liveResource, podLogs, resourceEvents } from './resources';

/** gRPC status codes the Argo CD API answers with, and the HTTP status its gateway maps each to. */
const CODES = {
  InvalidArgument: [3, 400],
  FailedPrecondition: [9, 400],
  NotFound: [5, 404],
  PermissionDenied: [7, 403],
  Unauthenticated: [16, 401],
} as const;

const fail = (code: keyof typeof CODES, message: string) =>
  json(CODES[code][1], { error: message, code: CODES[code][0], message });

const NAME =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EKS_ARN =
  /^arn:aws:eks:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** One reconciliation of an application at a time, as one controller would. */
const running = new WeakMap<SandboxState, Map<string, Promise<void>>>();
function serialized(state: SandboxState, id: string, run: () => Promise<void>) {
  const mine = running.get(state) ?? new Map<string, Promise<void>>();
  running.set(state, mine);
  const next = (mine.get(id) ?? Promise.resolve()).then(run, run);
  mine.set(
    id,
    next.catch(() => undefined),
  );
  return next;
}

const view = (r: SandboxResource<Application>) => ({
  ...r.data,
  metadata: {
    ...r.data.metadata,
    resourceVersion: String(r.data.metadata.resourceVersion ?? 1),
  },
});

/**
 * The Argo CD API of each Argo CD capability (`/argocd/{endpoint}/api/v1/...`, the capability's
 * `serverUrl`): clusters registered by their EKS ARN, Applications created, read, updated, synced
 * and deleted. Reading an application reconciles it first (git, then the cluster), so its sync and
 * health are current; an application that nobody reads is not reconciled (the sandbox keeps no
 * timers). Authentication is the account token the platform configured (`argocdToken`).
 */
export async function handleArgoCd(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse> {
  const [endpoint, ...rest] = req.path.split('/').filter(Boolean);
  const capability = ctx.state
    .list<{ endpoint?: string; type: string; roleArn: string }>(
      'eks',
      'capability',
    )
    .find(r => r.data.endpoint === endpoint && phaseOf(r) === 'active');
  if (!capability)
    return json(404, { error: `no Argo CD server at /argocd/${endpoint}` });
  const token = /^Bearer (.+)$/.exec(
    String(req.headers.authorization ?? ''),
  )?.[1];
  if (!token) return fail('Unauthenticated', 'no session information');
  if (token !== ctx.argocdToken)
    return fail(
      'Unauthenticated',
      'invalid session: token signature is invalid',
    );
  const path = rest.join('/');
  if (path === 'api/version' && req.method === 'GET')
    return json(200, { Version: 'v3.1.8+eks' });
  const body = () => JSON.parse(req.body.toString('utf8') || '{}');
  const upsert = req.query.get('upsert') === 'true';

  const clusterId = (server: string) => `${endpoint}/${server}`;
  const clusters = () =>
    ctx.state
      .list<RegisteredCluster>('argocd', 'cluster')
      .filter(r => r.id.startsWith(`${endpoint}/`))
      .map(r => r.data);

  if (path === 'api/v1/clusters') {
    if (req.method === 'GET')
      return json(200, {
        metadata: {},
        items: clusters().map(c => ({
          ...c,
          connectionState: { status: 'Successful' },
        })),
      });
    if (req.method === 'POST') {
      const c = body();
      if (!EKS_ARN.test(String(c.server ?? '')))
        return fail(
          'InvalidArgument',
          `server ${c.server}: a cluster of the EKS capability is named by its EKS cluster ARN (arn:aws:eks:<region>:<account>:cluster/<name>)`,
        );
      const name = String(c.name ?? c.server);
      const existing = ctx.state.get<RegisteredCluster>(
        'argocd',
        'cluster',
        clusterId(c.server),
      );
      if (existing && existing.data.name !== name && !upsert)
        return fail(
          'InvalidArgument',
          'existing cluster spec is different; use upsert flag to force update',
        );
      ctx.state.put<RegisteredCluster>({
        service: 'argocd',
        type: 'cluster',
        id: clusterId(c.server),
        account: capability.account,
        region: capability.region,
        createdAt: existing?.createdAt ?? Date.now(),
        data: { server: c.server, name },
      });
      return json(200, { server: c.server, name });
    }
  }
  const clusterPath = /^api\/v1\/clusters\/(.+)$/.exec(path);
  if (clusterPath && req.method === 'DELETE') {
    const server = decodeURIComponent(clusterPath[1]);
    if (!ctx.state.get('argocd', 'cluster', clusterId(server)))
      return fail('NotFound', `cluster "${server}" not found`);
    ctx.state.remove('argocd', 'cluster', clusterId(server));
    return json(200, {});
  }

  const appId = (name: string) => `${endpoint}/${name}`;
  const findApp = (name: string) =>
    ctx.state.get<Application>('argocd', 'application', appId(name));
  const refresh = async (
    r: SandboxResource<Application>,
    requested?: { revision?: string; prune?: boolean },
  ) => {
    await serialized(ctx.state, r.id, async () => {
      const current = ctx.state.get<Application>('argocd', 'application', r.id);
      if (!current) return;
      await reconcile(
        ctx,
        current,
        { clusters: clusters(), roleArn: capability.data.roleArn },
        requested,
      );
      current.data.metadata.resourceVersion = ctx.state.next();
      ctx.state.put(current);
    });
    return ctx.state.get<Application>('argocd', 'application', r.id)!;
  };
  const notFound = (name: string) =>
    fail('NotFound', `applications.argoproj.io "${name}" not found`);

  if (path === 'api/v1/applications') {
    if (req.method === 'GET') {
      // `selector`: labels equal to each `key=value` (Argo CD reads it as a map of labels).
      const wanted = (req.query.get('selector') ?? '')
        .split(',')
        .filter(Boolean)
        .map(term => term.split('='));
      if (wanted.some(term => term.length !== 2 || !term[0]))
        return fail(
          'InvalidArgument',
          `invalid selector: '${req.query.get('selector')}'`,
        );
      const items = ctx.state
        .list<Application>('argocd', 'application')
        .filter(r => r.id.startsWith(`${endpoint}/`))
        .filter(r =>
          wanted.every(([k, v]) => r.data.metadata.labels?.[k] === v),
        );
      const fresh = [];
      for (const r of items) fresh.push(view(await refresh(r)));
      return json(200, { metadata: {}, items: fresh });
    }
    if (req.method === 'POST') {
      const a = body();
      const invalid = specProblem(a, clusters());
      if (invalid) return fail('InvalidArgument', invalid);
      const existing = findApp(a.metadata.name);
      if (existing) {
        if (
          JSON.stringify([
            existing.data.spec,
            existing.data.metadata.annotations,
          ]) === JSON.stringify([a.spec, a.metadata.annotations])
        )
          return json(200, view(existing));
        if (!upsert)
          return fail(
            'InvalidArgument',
            'existing application spec is different, use upsert flag to force update',
          );
        existing.data.spec = a.spec;
        existing.data.metadata.labels = a.metadata.labels;
        existing.data.metadata.annotations = a.metadata.annotations;
        ctx.state.put(existing);
        return json(200, view(await refresh(existing)));
      }
      const r = ctx.state.put<Application>({
        service: 'argocd',
        type: 'application',
        id: appId(a.metadata.name),
        account: capability.account,
        region: capability.region,
        createdAt: Date.now(),
        data: {
          metadata: {
            name: a.metadata.name,
            namespace: 'argocd',
            uid: randomUUID(),
            creationTimestamp: new Date().toISOString(),
            labels: a.metadata.labels,
            annotations: a.metadata.annotations,
          },
          spec: a.spec,
          status: {},
        },
      });
      return json(200, view(await refresh(r)));
    }
  }
  const tree = /^api\/v1\/applications\/([^/]+)\/resource-tree$/.exec(path);
  if (tree && req.method === 'GET') {
    const r = findApp(tree[1]);
    if (!r) return notFound(tree[1]);
    const fresh = await refresh(r);
    return json(
      200,
      await resourceTree(ctx, fresh.data, {
        clusters: clusters(),
        roleArn: capability.data.roleArn,
      }),
    );
  }
  // A resource of the tree, pods' logs, a resource's events: read where the application's tree is.
  const read =
    /^api\/v1\/applications\/([^/]+)\/(resource|logs|events|pods\/([^/]+)\/logs)$/.exec(
      path,
    );
  if (read && req.method === 'GET') {
    const r = findApp(read[1]);
    if (!r) return notFound(read[1]);
    const argo = { clusters: clusters(), roleArn: capability.data.roleArn };
    const query = new URLSearchParams(req.query);
    if (read[3]) query.set('podName', decodeURIComponent(read[3]));
    if (read[2] === 'resource') return liveResource(ctx, r.data, argo, query);
    if (read[2] === 'events') return resourceEvents(ctx, r.data, argo, query);
    return podLogs(ctx, r.data, argo, query);
  }
  const one = /^api\/v1\/applications\/([^/]+)(\/sync)?$/.exec(path);
  if (one) {
    const r = findApp(one[1]);
    if (!r) return notFound(one[1]);
    if (one[2] && req.method === 'POST') {
      const q = body();
      // Auto-sync follows its target revision: another one is a manual sync's only.
      const target = r.data.spec.source.targetRevision || 'HEAD';
      if (
        r.data.spec.syncPolicy?.automated &&
        q.revision &&
        q.revision !== target
      )
        return fail(
          'FailedPrecondition',
          `Cannot sync to ${q.revision}: auto-sync currently set to ${r.data.spec.source.targetRevision}`,
        );
      return json(
        200,
        view(await refresh(r, { revision: q.revision, prune: !!q.prune })),
      );
    }
    if (one[2]) return fail('NotFound', `no route for ${req.method} ${path}`);
    if (req.method === 'GET') return json(200, view(await refresh(r)));
    if (req.method === 'PUT') {
      const a = body();
      const invalid = specProblem(
        { ...a, metadata: { name: one[1] } },
        clusters(),
      );
      if (invalid) return fail('InvalidArgument', invalid);
      r.data.spec = a.spec;
      ctx.state.put(r);
      return json(200, view(await refresh(r)));
    }
    if (req.method === 'DELETE') {
      // The resources go with the application (cascade, Argo CD's default).
      if (req.query.get('cascade') !== 'false')
        await serialized(ctx.state, r.id, () =>
          deleteResources(ctx, r.data, {
            clusters: clusters(),
            roleArn: capability.data.roleArn,
          }),
        );
      ctx.state.remove('argocd', 'application', r.id);
      return json(200, {});
    }
  }
  return fail('NotFound', `no route for ${req.method} /${path}`);
}

/** What Argo CD's API refuses in an Application it is asked to create or update. */
function specProblem(
  a: any,
  clusters: RegisteredCluster[],
): string | undefined {
  const name = a?.metadata?.name;
  if (!name || !NAME.test(name) || name.length > 253)
    return `application name "${
      name ?? ''
    }" is invalid: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`;
  const spec = a.spec ?? {};
  if ((spec.project ?? '') !== 'default')
    return `application references project ${
      spec.project ?? ''
    } which does not exist`;
  if (!spec.source?.repoURL || spec.source.path === undefined)
    return `application spec for ${name} is invalid: InvalidSpecError: spec.source.repoURL and spec.source.path either spec.source.chart are required`;
  const d = spec.destination ?? {};
  if (d.server && d.name)
    return `application destination spec for ${name} is invalid: application destination can't have both name and server defined: ${d.name} ${d.server}`;
  if (!d.server && !d.name)
    return `application destination spec for ${name} is invalid: server or name is required`;
  if (d.server && !clusters.some(c => c.server === d.server))
    return `application destination spec for ${name} is invalid: unable to find destination server: there are no clusters with this URL: ${d.server}`;
  if (d.name && !clusters.some(c => c.name === d.name))
    return `application destination spec for ${name} is invalid: unable to find destination server: there are no clusters with this name: ${d.name}`;
  return undefined;
}
