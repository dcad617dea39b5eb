import { SandboxContext, hexId } from './types';
import type { Cluster } from './aws/eks';
import type { Capability } from './aws/eksCapabilities';
import { putAccessEntry } from './aws/eksAccessEntries';
import { createRepo } from './github';

/**
 * What a platform team's infrastructure code makes once, before any developer uses the portal,
 * for delivery through git: a hub EKS cluster in the platform's own account with the managed
 * Argo CD capability, and the GitOps repository Argo CD reads. Konductor finds Argo CD's URL
 * through EKS (DescribeCapability), as it does on AWS.
 */
export const PLATFORM_HUB = {
  accountId: '210987654321',
  region: 'us-east-1',
  clusterName: 'platform-hub',
  capabilityName: 'argocd',
  roleArn: 'arn:aws:iam::210987654321:role/konductor-argocd',
  repository: { owner: 'acme', name: 'deployments' },
};

/** Seeds the platform hub (ACTIVE from the start) and the GitOps repository, unless they exist. */
export async function seedPlatformHub(ctx: SandboxContext): Promise<void> {
  const { accountId, region, clusterName, capabilityName, roleArn } =
    PLATFORM_HUB;
  const clusterId = `${accountId}/${region}/${clusterName}`;
  if (!ctx.state.get('eks', 'cluster', clusterId)) {
    const now = Date.now();
    const cluster = ctx.state.put<Cluster>({
      service: 'eks',
      type: 'cluster',
      id: clusterId,
      account: accountId,
      region,
      createdAt: now,
      readyAt: now,
      data: {
        name: clusterName,
        arn: `arn:aws:eks:${region}:${accountId}:cluster/${clusterName}`,
        version: '1.33',
        roleArn: `arn:aws:iam::${accountId}:role/platform-hub-cluster`,
        subnetIds: [],
        securityGroupIds: [],
        endpointPublicAccess: false,
        endpointPrivateAccess: true,
        authenticationMode: 'API',
        logging: [],
        tags: { 'managed-by': 'platform-infrastructure' },
      },
    });
    ctx.state.put<Capability>({
      service: 'eks',
      type: 'capability',
      id: `${clusterId}/${capabilityName}`,
      account: accountId,
      region,
      createdAt: now,
      readyAt: now,
      data: {
        name: capabilityName,
        arn: `arn:aws:eks:${region}:${accountId}:capability/${clusterName}/${capabilityName}/${hexId(
          8,
        )}`,
        cluster: clusterName,
        type: 'ARGOCD',
        roleArn,
        deletePropagationPolicy: 'RETAIN',
        argoCd: {
          namespace: 'argocd',
          awsIdc: {
            idcInstanceArn: 'arn:aws:sso:::instance/ssoins-7223000000000000',
          },
        },
        endpoint: hexId(16),
        tags: {},
      },
    });
    putAccessEntry(ctx.state, cluster, roleArn);
  }
  const { owner, name } = PLATFORM_HUB.repository;
  if (!ctx.state.get('github', 'repo', `${owner}/${name}`.toLowerCase()))
    await createRepo(ctx, {
      owner,
      ownerType: 'Organization',
      name,
      description: "The platform's desired state, synced by Argo CD",
      private: true,
      autoInit: true,
    });
}
