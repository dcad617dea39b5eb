import type { Config } from '@backstage/config';
import { DescribeCapabilityCommand, EKSClient } from '@aws-sdk/client-eks';
import type { AwsClientFactory } from '../aws/AwsClientFactory';
import { ArgoCdClient } from './ArgoCdClient';
import type { ArgoCdHub } from './gitops';

/** The platform's Argo CD as `konductor.apps.gitops.argocd` configures it, or undefined. */
export function argoCdHubFromConfig(config: Config): ArgoCdHub | undefined {
  const gitops = config.getOptionalConfig('konductor.apps.gitops');
  if (!gitops) return undefined;
  const argocd = gitops.getConfig('argocd');
  return {
    accountId: argocd.getString('accountId'),
    region: argocd.getString('region'),
    clusterName: argocd.getString('clusterName'),
    capabilityName: argocd.getString('capabilityName'),
    token: argocd.getString('token'),
  };
}

/**
 * A client of the platform's Argo CD: the hub's Argo CD capability, its server URL asked of EKS,
 * with the portal's account token.
 */
export async function hubArgoCd(
  clients: AwsClientFactory,
  hub: ArgoCdHub,
  signal?: AbortSignal,
): Promise<{ client: ArgoCdClient; roleArn: string }> {
  const eks = await clients.client(EKSClient, hub, { signal });
  const capability = (
    await eks.send(
      new DescribeCapabilityCommand({
        clusterName: hub.clusterName,
        capabilityName: hub.capabilityName,
      }),
    )
  ).capability;
  const url = capability?.configuration?.argoCd?.serverUrl;
  if (capability?.status !== 'ACTIVE' || !url)
    throw new Error(
      `The platform's Argo CD (capability ${hub.capabilityName} of cluster ${hub.clusterName}, account ${hub.accountId}, ${hub.region}) is ${capability?.status}, not ACTIVE: nothing reaches the clusters through it until it is`,
    );
  return {
    client: new ArgoCdClient(url, hub.token, signal),
    roleArn: capability.roleArn!,
  };
}
