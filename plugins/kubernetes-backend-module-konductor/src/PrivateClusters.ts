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
   * The EKS ARN of the cluster of this catalog name when its endpoint is private, or undefined
   * when the portal reaches it directly.
   */
  async arnOf(clusterName: string): Promise<string | undefined> {
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
    return arn;
  }

  /** The platform's Argo CD and the applications it deploys to cluster `arn`. */
  async applicationsOn(
    clusterName: string,
    arn: string,
  ): Promise<{ client: ArgoCdClient; applications: ClusterApplication[] }> {
    if (!this.options.hub)
      throw new ServiceUnavailableError(
        `Cluster ${clusterName}: its API endpoint is private, and the portal reads private clusters through the platform's Argo CD, which this portal does not have (konductor.apps.gitops.argocd)`,
      );
    const { client } = await hubArgoCd(this.options.clients, this.options.hub);
    const applications: ClusterApplication[] = [];
    for (const app of await client.applications('')) {
      if (app.spec.destination?.server !== arn) continue;
      applications.push({
        name: app.metadata.name,
        nodes: await client.resourceTree(app.metadata.name),
      });
    }
    return { client, applications };
  }
}
