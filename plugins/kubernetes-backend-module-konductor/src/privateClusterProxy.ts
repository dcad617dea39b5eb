import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
} from '@backstage/errors';
import { kubernetesProxyPermission } from '@backstage/plugin-kubernetes-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Request } from 'express';
import Router from 'express-promise-router';
import type {
  ClusterApplication,
  PrivateCluster,
  PrivateClusters,
} from './PrivateClusters';

/** The header Backstage's Kubernetes proxy names its cluster with. */
const CLUSTER_HEADER = 'backstage-kubernetes-cluster';

/** The node of `name` (of `kind`, when given) in `namespace`, and the application it is in. */
function findNode(
  applications: ClusterApplication[],
  namespace: string,
  name: string,
  kind?: string,
) {
  for (const app of applications)
    for (const node of app.nodes)
      if (
        node.namespace === namespace &&
        node.name === name &&
        (!kind || node.kind === kind)
      )
        return { app: app.name, node };
  return undefined;
}

/**
 * Backstage's Kubernetes proxy (`/proxy/...`), for private clusters: what the Kubernetes tab asks
 * of it (a pod's log, an object's events) answered through the platform's Argo CD, under the same
 * permission (`kubernetes.proxy`) and audit event as the proxy; anything else refused with why.
 * Requests for other clusters go on to Backstage's proxy untouched.
 */
export function privateClusterProxy(options: {
  clusters: PrivateClusters;
  permissions: PermissionsService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
}) {
  const { clusters, permissions, httpAuth, auditor } = options;
  const router = Router();

  router.use('/proxy', async (req, res, next) => {
    const clusterName = req.header(CLUSTER_HEADER);
    const cluster = clusterName ? await clusters.find(clusterName) : undefined;
    if (!cluster) {
      next();
      return;
    }
    const path = req.path;
    const audit = await auditor.createEvent({
      eventId: 'cluster-fetch',
      severityLevel: 'medium',
      request: req,
      meta: {
        queryType: 'proxy',
        via: 'argocd',
        clusterName: cluster.name,
        method: req.method,
        path,
      },
    });
    try {
      const [decision] = await permissions.authorize(
        [{ permission: kubernetesProxyPermission }],
        { credentials: await httpAuth.credentials(req) },
      );
      if (decision.result === AuthorizeResult.DENY)
        throw new NotAllowedError('Unauthorized');
      const answer = await answerThroughArgoCd(req, cluster);
      if (typeof answer === 'string') res.type('text/plain').send(answer);
      else res.json(answer);
      await audit.success();
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  /** The log or event list the request asks for, read through Argo CD. */
  async function answerThroughArgoCd(
    req: Request,
    cluster: PrivateCluster,
  ): Promise<string | object> {
    const clusterName = cluster.name;
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(
      req.path,
    );
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(req.path);
    if (req.method !== 'GET' || (!log && !events))
      throw new NotImplementedError(
        `Cluster ${clusterName}: its API endpoint is private, and the portal reaches it through the platform's Argo CD, which serves pods' logs and objects' events; ${req.method} ${req.path} is not among them`,
      );
    const { client, applications } = await clusters.applicationsOn(cluster);
    if (log) {
      const [, namespace, pod] = log.map(decodeURIComponent);
      const found = findNode(applications, namespace, pod, 'Pod');
      if (!found)
        throw new NotFoundError(
          `pods "${pod}" not found in namespace ${namespace} among what Argo CD deploys to cluster ${clusterName}`,
        );
      return client.podLogs(found.app, {
        namespace,
        name: pod,
        container: req.query.container
          ? String(req.query.container)
          : undefined,
        previous: req.query.previous !== undefined,
      });
    }
    const namespace = decodeURIComponent(events![1]);
    const name = /(?:^|,)involvedObject\.name=([^,]+)/.exec(
      String(req.query.fieldSelector ?? ''),
    )?.[1];
    const found = name && findNode(applications, namespace, name);
    // An object Argo CD does not deploy has no events it can read.
    if (!found || !found.node.uid)
      return { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [] };
    return client.resourceEvents(found.app, {
      namespace,
      name: found.node.name,
      uid: found.node.uid,
    });
  }

  return router;
}
