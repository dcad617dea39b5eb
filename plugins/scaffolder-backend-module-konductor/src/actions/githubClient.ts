import { Octokit } from '@octokit/rest';
import { InputError } from '@backstage/errors';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
import { repoNameProblem } from '@konductor/plugin-provisioning-common';
import { fetchWithTimeout } from '@konductor/plugin-provisioning-node';

/**
 * An Octokit for the repository `repoUrl` names (`host?owner=o&repo=r`), with the credentials
 * of its GitHub integration; errors say what to configure.
 */
export async function githubFor(
  repoUrl: string,
  integrations: ScmIntegrationRegistry,
  credentialsProvider: GithubCredentialsProvider,
  log?: { warn(m: string): void; error(m: string): void },
): Promise<{
  octokit: Octokit;
  host: string;
  owner: string;
  repo: string;
  token: string;
}> {
  const { host, owner, repo } = parseRepoUrl(repoUrl, integrations);
  if (!owner)
    throw new InputError(
      `repoUrl: "${repoUrl}" names no owner: use ${host}?owner=<org or user>&repo=<name>`,
    );
  const problem = repoNameProblem(repo);
  if (problem)
    throw new InputError(`repoUrl: the repository name "${repo}": ${problem}`);
  const integration = integrations.github.byHost(host);
  if (!integration)
    throw new InputError(
      `repoUrl: no GitHub integration is configured for ${host}: add it under integrations.github`,
    );
  const { token } = await credentialsProvider.getCredentials({
    url: `https://${host}/${owner}/${repo}`,
  });
  if (!token)
    throw new InputError(
      `No GitHub credentials for ${host}/${owner}: configure a token or GitHub App under integrations.github`,
    );
  const octokit = new Octokit({
    baseUrl: integration.config.apiBaseUrl,
    auth: token,
    request: { fetch: fetchWithTimeout() },
    // Octokit logs every failed request as an error; the 404s here are expected answers (does
    // the repository or branch exist yet?), not worth a line in the task's log.
    log: {
      debug: () => {},
      info: () => {},
      warn: m => log?.warn(m),
      error: m => {
        if (!/ - 404 /.test(m)) log?.error(m);
      },
    },
  });
  return { octokit, host, owner, repo, token };
}

/** The HTTP status of an Octokit error. */
export const statusOf = (e: unknown) => (e as { status?: number })?.status;

/**
 * The scaffolder's autocomplete provider `konductor`, resource `repository-availability`: for
 * `context.repoUrl`, one result whose id is `available`, `taken` or `invalid`, with the reason as
 * its title. The form's repository name field asks it as you type; it reads with the
 * integration's credentials, the identity that will create the repository.
 */
export function repositoryAvailability(
  integrations: ScmIntegrationRegistry,
  credentialsProvider: GithubCredentialsProvider,
) {
  return async ({
    resource,
    context,
  }: {
    resource: string;
    context: Record<string, string>;
  }) => {
    if (resource !== 'repository-availability')
      throw new InputError(
        `Unknown resource "${resource}": konductor offers repository-availability`,
      );
    let client;
    try {
      client = await githubFor(
        context.repoUrl ?? '',
        integrations,
        credentialsProvider,
      );
    } catch (e) {
      if ((e as Error).name !== 'InputError') throw e;
      return { results: [{ id: 'invalid', title: (e as Error).message }] };
    }
    const { octokit, owner, repo } = client;
    const exists = await octokit.rest.repos.get({ owner, repo }).then(
      () => true,
      e => {
        if (statusOf(e) === 404) return false;
        throw e;
      },
    );
    return {
      results: [
        exists
          ? { id: 'taken', title: `${owner}/${repo} already exists` }
          : { id: 'available', title: `${owner}/${repo} is available` },
      ],
    };
  };
}
