import { ConfigReader } from '@backstage/config';
import { gitopsFromConfig } from './awsProviderFromConfig';

describe('gitopsFromConfig', () => {
  const github = jest.fn();
  const gitops = (repoUrl: string) =>
    new ConfigReader({
      konductor: {
        apps: {
          gitops: {
            repoUrl,
            argocd: {
              accountId: '123456789012',
              region: 'us-east-1',
              clusterName: 'platform-hub',
              capabilityName: 'argocd',
              token: 'secret-token',
            },
          },
        },
      },
    });

  it('is off unless configured', () => {
    expect(gitopsFromConfig(new ConfigReader({}), github)).toBeUndefined();
  });

  it('reads the repository and the hub, and asks for GitHub credentials only when it writes', () => {
    const delivery = gitopsFromConfig(
      gitops('github.com?owner=acme&repo=deployments'),
      github,
    )!;
    expect(delivery.repository).toMatchObject({
      repoURL: 'https://github.com/acme/deployments.git',
      branch: 'main',
    });
    expect(delivery.argoCd).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
      clusterName: 'platform-hub',
      capabilityName: 'argocd',
      token: 'secret-token',
    });
    expect(github).not.toHaveBeenCalled();
  });

  it('says what to write when the repository URL names no repository', () => {
    expect(() =>
      gitopsFromConfig(gitops('github.com?owner=acme'), github),
    ).toThrow(
      'konductor.apps.gitops.repoUrl: "github.com?owner=acme" names no repository: use github.com?owner=<org>&repo=<name>',
    );
  });
});
