import type { Config } from '@backstage/config';
import {
  AwsClientFactory,
  AwsProvider,
  argoCdHubFromConfig,
  type GitOpsDelivery,
  GithubGitOpsRepository,
  ResourceKindModule,
} from '@konductor/plugin-provisioning-node';
import type { Octokit } from '@octokit/rest';

/**
 * The AWS provider as configured: the AWS clients (`awsClientFactoryServiceRef`: credentials
 * per account from the `aws` config section, the `konductor.aws.endpoint` override) and
 * Konductor's own `konductor.aws` options, with the kinds modules registered.
 */
export function awsProviderFromConfig(
  config: Config,
  clients: AwsClientFactory = AwsClientFactory.fromConfig(config),
  modules: ResourceKindModule[] = [],
  gitops?: GitOpsDelivery,
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
      clusterPublicAccessCidrs: aws?.getOptionalStringArray(
        'clusterPublicAccessCidrs',
      ),
      imagePullGraceMs:
        (config.getOptionalNumber('konductor.apps.imagePullGraceSeconds') ??
          120) * 1000,
      gitops,
    },
    modules,
  );
}

/**
 * GitOps delivery as `konductor.apps.gitops` configures it, or undefined: the GitOps repository
 * (written through `github`, which gives the repository's client with its integration's
 * credentials, asked for at each write) and the platform's Argo CD.
 */
export function gitopsFromConfig(
  config: Config,
  github: (
    repoUrl: string,
  ) => Promise<{ octokit: Octokit; host: string; owner: string; repo: string }>,
): GitOpsDelivery | undefined {
  const gitops = config.getOptionalConfig('konductor.apps.gitops');
  if (!gitops) return undefined;
  const repoUrl = gitops.getString('repoUrl');
  const params = new URL(`https://${repoUrl}`).searchParams;
  const [owner, repo] = [params.get('owner'), params.get('repo')];
  if (!owner || !repo)
    throw new Error(
      `konductor.apps.gitops.repoUrl: "${repoUrl}" names no repository: use github.com?owner=<org>&repo=<name>`,
    );
  return {
    repository: new GithubGitOpsRepository(
      async () => (await github(repoUrl)).octokit,
      {
        owner,
        name: repo,
        branch: gitops.getOptionalString('branch') ?? 'main',
        cloneUrl: `https://${repoUrl.split('?')[0]}/${owner}/${repo}.git`,
      },
    ),
    argoCd: argoCdHubFromConfig(config)!,
    secretsRoleName: gitops.getOptionalString('secretsRoleName'),
  };
}
