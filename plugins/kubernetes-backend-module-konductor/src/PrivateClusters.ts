import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  ANNOTATION_CLOUD_ID,
  ANNOTATION_KUBERNETES_ENDPOINT,
} from '@konductor/plugin-provisioning-common';
import {
  type ArgoCdClient,
  type ArgoCdHub,
  type ArgoCdResourceNode,
  type AwsClientFactory,
  hubArgoCd,
} from '@konductor/plugin-provisioning-node';

/** A private cluster: its EKS ARN, and the stack it belongs to when Konductor made it. */
export interface PrivateCluster {
  name: string;
  arn: string;
  stack?: string;
}

/** An Argo CD application that deploys to a cluster, with its resource tree. */
export interface ClusterApplication {
  name: string;
  nodes: ArgoCdResourceNode[];
}

/**
 * The clusters whose API endpoint is private (the catalog's `konductor.dev/kubernetes-endpoint`
 * on the cluster's Resource): the portal runs outside their VPCs and cannot call them, so it
 * reads them through the platform's Argo CD, which reaches them from inside AWS. What the
 * portal sees there is what Argo CD deployed: the applications whose destination is the
 * cluster, and their resource trees.
 */
export class PrivateClusters {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      clients: AwsClientFactory;
      /** The platform's Argo CD (`konductor.apps.gitops.argocd`), if the portal has one. */
      hub?: ArgoCdHub;
    },
  ) {}

  /**
   * The cluster of this catalog name when its endpoint is private, or undefined when the portal
   * reaches it directly.
   */
  async find(clusterName: string): Promise<PrivateCluster | undefined> {
    const entity = await this.options.catalog.getEntityByRef(
      { kind: 'Resource', namespace: 'default', name: clusterName },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    const annotations = entity?.metadata.annotations ?? {};
    if (annotations[ANNOTATION_KUBERNETES_ENDPOINT] !== 'private')
      return undefined;
    const arn = annotations[ANNOTATION_CLOUD_ID];
    if (!arn)
      throw new InputError(
        `Cluster ${clusterName}: its endpoint is private and its catalog entity has no ${ANNOTATION_CLOUD_ID} (its EKS ARN), so Argo CD cannot be asked for it`,
      );
    const stack = entity?.spec?.system;
    return {
      name: clusterName,
      arn,
      stack: typeof stack === 'string' ? stack : undefined,
    };
  }

  /**
   * The platform's Argo CD and the applications it deploys to the cluster (a stack's cluster: the
   * stack's, by their label; another: all of them, by their destination).
   */
  async applicationsOn(
    cluster: PrivateCluster,
  ): Promise<{ client: ArgoCdClient; applications: ClusterApplication[] }> {
    if (!this.options.hub)
      throw new ServiceUnavailableError(
        `Cluster ${cluster.name}: its API endpoint is private, and the portal reads private clusters through the platform's Argo CD, which this portal does not have (konductor.apps.gitops.argocd)`,
      );
    const { client } = await hubArgoCd(this.options.clients, this.options.hub);
    const applications: ClusterApplication[] = [];
    const selector = cluster.stack
      ? `konductor.dev/stack=${cluster.stack}`
      : '';
    for (const app of await client.applications(selector)) {
      if (app.spec.destination?.server !== cluster.arn) continue;
      applications.push({
        name: app.metadata.name,
        nodes: await client.resourceTree(app.metadata.name),
      });
    }
    return { client, applications };
  }
}
