import type { Config } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { AwsProvider } from '@konductor/plugin-provisioning-node';

/**
 * The AWS provider as configured: credentials per account from the `aws` config section
 * (`@backstage/integration-aws-node`: static keys, profiles or assumed roles), and Konductor's
 * own `konductor.aws` options (the sandbox endpoint among them).
 */
export function awsProviderFromConfig(config: Config): AwsProvider {
  const credentials = DefaultAwsCredentialsManager.fromConfig(config);
  const aws = config.getOptionalConfig('konductor.aws');
  const clusterRole =
    aws?.getOptionalString('clusterRoleName') ?? 'konductor-eks-cluster';
  const nodeRole =
    aws?.getOptionalString('nodeRoleName') ?? 'konductor-eks-node';
  return new AwsProvider({
    credentials: async accountId =>
      (await credentials.getCredentialProvider({ accountId }))
        .sdkCredentialProvider,
    endpoint: aws?.getOptionalString('endpoint'),
    pollIntervalMs:
      (aws?.getOptionalNumber('pollIntervalSeconds') ?? 10) * 1000,
    clusterRoleArn: accountId =>
      `arn:aws:iam::${accountId}:role/${clusterRole}`,
    nodeRoleArn: accountId => `arn:aws:iam::${accountId}:role/${nodeRole}`,
    appDomain: config.getOptionalString('konductor.apps.domain'),
  });
}
