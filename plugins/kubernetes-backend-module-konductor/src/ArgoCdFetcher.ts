import type {
  ClusterDetails,
  FetchResponseWrapper,
  KubernetesCredential,
  KubernetesFetcher,
  ObjectFetchParams,
} from '@backstage/plugin-kubernetes-node';
import type { FetchResponse } from '@backstage/plugin-kubernetes-common';
import { ArgoCdError } from '@konductor/plugin-provisioning-node';
import type { PrivateClusters } from './PrivateClusters';

type Labels = Record<string, string> | undefined;

/**
 * A Kubernetes label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`,
 * comma-separated) as a test of an object's labels; one that does not parse is an error naming it.
 */
export function labelSelector(selector = ''): (labels: Labels) => boolean {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  const tests = terms
    .map(t => t.trim())
    .filter(Boolean)
    .map(term => {
      let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
      if (m) {
        const [, key, op, value] = m;
        return (l: Labels) =>
          ((l?.[key] ?? undefined) === value) !== (op === '!=');
      }
      m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
      if (m) {
        const [, key, op, list] = m;
        const values = list.split(',').map(v => v.trim());
        return (l: Labels) =>
          (l?.[key] !== undefined && values.includes(l[key])) !==
          (op === 'notin');
      }
      m = /^(!?)([\w./-]+)$/.exec(term);
      if (m) {
        const [, not, key] = m;
        return (l: Labels) => (l?.[key] !== undefined) !== (not === '!');
      }
      throw new Error(
        `label selector "${selector}": cannot understand "${term}"`,
      );
    });
  return labels => tests.every(t => t(labels));
}

/** The plural of a kind, as the API names its resource (Ingress: ingresses, Policy: policies). */
const pluralOf = (kind: string) => {
  const k = kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
};

/**
 * The Kubernetes plugin's fetcher, with private clusters read through the platform's Argo CD:
 * for each kind the plugin asks for, the resources of the applications Argo CD deploys to the
 * cluster (and the ReplicaSets and pods under them) whose labels match the component's selector,
 * each as the cluster holds it (Argo CD's live manifest). Other clusters go to Backstage's own
 * fetcher. A private cluster has no metrics: Argo CD does not serve them.
 */
export class ArgoCdFetcher implements KubernetesFetcher {
  constructor(
    private readonly direct: KubernetesFetcher,
    private readonly clusters: PrivateClusters,
  ) {}

  async fetchObjectsForService(
    params: ObjectFetchParams,
  ): Promise<FetchResponseWrapper> {
    const { clusterDetails } = params;
    const cluster = await this.clusters.find(clusterDetails.name);
    if (!cluster) return this.direct.fetchObjectsForService(params);
    try {
      const matches = labelSelector(params.labelSelector);
      const { client, applications } = await this.clusters.applicationsOn(
        cluster,
      );
      const types = [...params.objectTypesToFetch];
      // Every object of each kind asked for, read at once.
      const live = await Promise.all(
        types.map(type =>
          Promise.all(
            applications.flatMap(app =>
              app.nodes
                .filter(
                  node =>
                    (node.group ?? '') === type.group &&
                    pluralOf(node.kind) === type.plural &&
                    (!params.namespace || node.namespace === params.namespace),
                )
                .map(node =>
                  client.liveResource(app.name, node).catch(e =>
                    // Gone since the tree was read (a pod replaced by a rollout).
                    e instanceof ArgoCdError && [400, 404].includes(e.status)
                      ? undefined
                      : Promise.reject(e),
                  ),
                ),
            ),
          ),
        ),
      );
      const responses = types.map(
        (type, i) =>
          ({
            type: type.objectType,
            resources: live[i].filter(o => o && matches(o.metadata?.labels)),
          } as FetchResponse),
      );
      return { errors: [], responses };
    } catch (e) {
      return {
        errors: [{ errorType: 'FETCH_ERROR', message: (e as Error).message }],
        responses: [],
      };
    }
  }

  async fetchPodMetricsByNamespaces(
    clusterDetails: ClusterDetails,
    credential: KubernetesCredential,
    namespaces: Set<string>,
    selector?: string,
  ): Promise<FetchResponseWrapper> {
    if (await this.clusters.find(clusterDetails.name))
      return { errors: [], responses: [] };
    return this.direct.fetchPodMetricsByNamespaces(
      clusterDetails,
      credential,
      namespaces,
      selector,
    );
  }
}
