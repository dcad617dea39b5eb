import type { Config } from '@backstage/config';
import {
  AwsClientFactory,
  AwsProvider,
  ResourceKindModule,
} from '@konductor/plugin-provisioning-node';

/**
 * The AWS provider as configured: the AWS clients (`awsClientFactoryServiceRef`: credentials
 * per account from the `aws` config section, the `konductor.aws.endpoint` override) and
 * Konductor's own `konductor.aws` options, with the kinds modules registered.
 */
export function awsProviderFromConfig(
  config: Config,
  clients: AwsClientFactory = AwsClientFactory.fromConfig(config),
  modules: ResourceKindModule[] = [],
): AwsProvider {
  const aws = config.getOptionalConfig('konductor.aws');
  const clusterRole =
    aws?.getOptionalString('clusterRoleName') ?? 'konductor-eks-cluster';
  const nodeRole =
    aws?.getOptionalString('nodeRoleName') ?? 'konductor-eks-node';
  const rotationFunction = aws?.getOptionalString('rotationFunctionName');
  return new AwsProvider(
    {
      clients,
      pollIntervalMs:
        (aws?.getOptionalNumber('pollIntervalSeconds') ?? 10) * 1000,
      clusterRoleArn: accountId =>
        `arn:aws:iam::${accountId}:role/${clusterRole}`,
      nodeRoleArn: accountId => `arn:aws:iam::${accountId}:role/${nodeRole}`,
      rotationLambdaArn: rotationFunction
        ? (accountId, region) =>
            `arn:aws:lambda:${region}:${accountId}:function:${rotationFunction}`
        : undefined,
      appDomain: config.getOptionalString('konductor.apps.domain'),
      imagePullGraceMs:
        (config.getOptionalNumber('konductor.apps.imagePullGraceSeconds') ??
          120) * 1000,
    },
    modules,
  );
}
