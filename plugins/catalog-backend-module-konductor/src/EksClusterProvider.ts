import {
  Cluster,
  DescribeClusterCommand,
  EKSClient,
  ListClustersCommand,
} from '@aws-sdk/client-eks';
import type { AwsClientFactory } from '@konductor/plugin-provisioning-node';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_KUBERNETES_API_SERVER,
  ANNOTATION_KUBERNETES_API_SERVER_CA,
  ANNOTATION_KUBERNETES_AUTH_PROVIDER,
  ANNOTATION_KUBERNETES_AWS_ACCOUNT_ID,
  ANNOTATION_KUBERNETES_AWS_CLUSTER_ID,
  ANNOTATION_KUBERNETES_SKIP_METRICS_LOOKUP,
} from '@backstage/plugin-kubernetes-common';
import { ANNOTATION_KUBERNETES_ENDPOINT } from '@konductor/plugin-provisioning-common';
import { ANNOTATION_CLOUD_ID } from './ProvisionedResourcesProvider';

/** An AWS account and the regions in it where clusters are discovered. */
export interface EksScope {
  accountId: string;
  regions: string[];
}

const PROVIDER = 'konductor-eks-clusters';

/** A catalog name from parts: lower-case letters, digits and dashes, at most 63 characters. */
const nameOf = (...parts: string[]) =>
  parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');

/** The catalog name of the `kubernetes-cluster` Resource of stack `stackId`'s EKS cluster. */
const stackClusterEntityName = (stackId: string) =>
  nameOf(stackId, 'kubernetes');

/**
 * Discovers EKS clusters (`ListClusters`, `DescribeCluster`) in each configured account and
 * region and turns them into `Resource` entities of type `kubernetes-cluster`, with the
 * annotations Backstage's Kubernetes plugin reads (API server, CA, AWS auth with the account's
 * credentials, cluster id; no metrics lookup, as EKS installs no metrics server) and who can
 * reach its endpoint (`konductor.dev/kubernetes-endpoint`: a private one is read through the
 * platform's Argo CD). A cluster
 * Konductor provisioned is part of its stack's System, owned as its stack is (tags
 * `konductor:stack`, `konductor:owner`), and named `{stack}-kubernetes`, so the stack's
 * components can depend on it by name and Backstage's `catalogRelation` service locator finds
 * their workloads there. Every refresh is a full mutation: deleted clusters go.
 */
export class EksClusterProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly options: {
      scopes: EksScope[];
      clients: AwsClientFactory;
      defaultOwner: string;
      logger: LoggerService;
    },
  ) {}

  getProviderName(): string {
    return PROVIDER;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
  }

  async refresh(): Promise<void> {
    if (!this.connection)
      throw new Error(`${PROVIDER} is not connected to the catalog yet`);
    const entities: Entity[] = [];
    for (const { accountId, regions } of this.options.scopes) {
      for (const region of regions) {
        const eks = await this.options.clients.client(EKSClient, {
          accountId,
          region,
        });
        let nextToken: string | undefined;
        do {
          const page = await eks.send(new ListClustersCommand({ nextToken }));
          for (const name of page.clusters ?? []) {
            const { cluster } = await eks.send(
              new DescribeClusterCommand({ name }),
            );
            if (cluster)
              entities.push(this.entityOf(accountId, region, cluster));
          }
          nextToken = page.nextToken;
        } while (nextToken);
      }
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: entity.metadata.annotations![ANNOTATION_LOCATION],
      })),
    });
    this.options.logger.info(`${PROVIDER}: ${entities.length} clusters`);
  }

  private entityOf(
    accountId: string,
    region: string,
    cluster: Cluster,
  ): Entity {
    const name = cluster.name!;
    const tags: Record<string, string> = cluster.tags ?? {};
    const location = `${PROVIDER}:${accountId}/${region}`;
    const stack = tags['konductor:stack'];
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: stack
          ? stackClusterEntityName(stack)
          : nameOf('eks', accountId, region, name),
        title: name,
        description: `EKS cluster ${name} (Kubernetes ${cluster.version}) in ${accountId}/${region}, ${cluster.status}.`,
        tags: ['eks', 'kubernetes'],
        annotations: {
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          'konductor.dev/aws-account': accountId,
          ...(cluster.arn ? { [ANNOTATION_CLOUD_ID]: cluster.arn } : {}),
          ...(cluster.endpoint
            ? { [ANNOTATION_KUBERNETES_API_SERVER]: cluster.endpoint }
            : {}),
          ...(cluster.certificateAuthority?.data
            ? {
                [ANNOTATION_KUBERNETES_API_SERVER_CA]:
                  cluster.certificateAuthority.data,
              }
            : {}),
          [ANNOTATION_KUBERNETES_ENDPOINT]: cluster.resourcesVpcConfig
            ?.endpointPublicAccess
            ? 'public'
            : 'private',
          [ANNOTATION_KUBERNETES_AUTH_PROVIDER]: 'aws',
          [ANNOTATION_KUBERNETES_AWS_ACCOUNT_ID]: accountId,
          [ANNOTATION_KUBERNETES_AWS_CLUSTER_ID]: name,
          [ANNOTATION_KUBERNETES_SKIP_METRICS_LOOKUP]: 'true',
        },
      },
      spec: {
        type: 'kubernetes-cluster',
        owner: tags['konductor:owner'] ?? this.options.defaultOwner,
        ...(stack ? { system: stack } : {}),
      },
    };
  }
}
