import type { Octokit } from '@octokit/rest';

/**
 * The git repository that holds the desired state Argo CD syncs: one file of rendered manifests
 * per stack's app, written by the platform (never by hand) so that every change passed the plan
 * and the compliance gate first.
 */
export interface GitOpsRepository {
  /** The URL Argo CD clones. */
  readonly repoURL: string;
  /** The branch Argo CD follows. */
  readonly branch: string;
  /**
   * Writes `path` (or deletes it, `content` undefined) on the branch in one commit, and answers the
   * branch's commit afterwards (unchanged content makes no commit).
   */
  write(
    path: string,
    content: string | undefined,
    message: string,
  ): Promise<string>;
  /** `path` as it was at `revision` (a commit), or undefined where it did not exist. */
  read(path: string, revision: string): Promise<string | undefined>;
}

/** Where the platform's Argo CD is: an EKS Argo CD capability (its server URL comes from EKS). */
export interface ArgoCdHub {
  accountId: string;
  region: string;
  clusterName: string;
  capabilityName: string;
  /** The Argo CD account token the platform generated for the portal; never logged. */
  token: string;
}

/** GitOps delivery of apps: the repository of desired state and the Argo CD that syncs it. */
export interface GitOpsDelivery {
  repository: GitOpsRepository;
  argoCd: ArgoCdHub;
  /**
   * The name of the IAM role, in each stack's account, that apps' pods read their secrets as (an
   * EKS Pod Identity for each app's service account; see `config.d.ts` for what it needs).
   */
  secretsRoleName?: string;
}

const status = (e: unknown) => (e as { status?: number }).status;

/** How many times a write that lost a race with another writer is made again. */
const CONFLICT_RETRIES = 5;

/** A {@link GitOpsRepository} on GitHub, written through the contents API. */
export class GithubGitOpsRepository implements GitOpsRepository {
  readonly repoURL: string;
  readonly branch: string;

  /** `octokit`: a client with the repository's credentials, asked for at each write. */
  constructor(
    private readonly octokit: () => Promise<Octokit>,
    private readonly repo: {
      owner: string;
      name: string;
      branch: string;
      cloneUrl: string;
    },
  ) {
    this.repoURL = repo.cloneUrl;
    this.branch = repo.branch;
  }

  /** This portal's writes, one after another (see {@link GithubGitOpsRepository.write}). */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * GitHub refuses contents writes to a branch made in parallel (409): this portal's are queued,
   * and one that lost a race with another writer (another replica) is made again on the new head.
   */
  write(path: string, content: string | undefined, message: string) {
    const attempt = async (n: number): Promise<string> => {
      try {
        return await this.writeOnce(path, content, message);
      } catch (e) {
        if (status(e) !== 409 || n >= CONFLICT_RETRIES) throw e;
        await new Promise(r => setTimeout(r, 100 * 2 ** n));
        return attempt(n + 1);
      }
    };
    const result = this.queue.then(() => attempt(0));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async read(path: string, revision: string) {
    const { owner, name } = this.repo;
    const octokit = await this.octokit();
    const found = await octokit.rest.repos
      .getContent({ owner, repo: name, path, ref: revision })
      .then(r => r.data as { content?: string })
      .catch(e => (status(e) === 404 ? undefined : Promise.reject(e)));
    return found?.content === undefined
      ? undefined
      : Buffer.from(found.content, 'base64').toString('utf8');
  }

  private async writeOnce(
    path: string,
    content: string | undefined,
    message: string,
  ) {
    const { owner, name, branch } = this.repo;
    const octokit = await this.octokit();
    const existing = await octokit.rest.repos
      .getContent({ owner, repo: name, path, ref: branch })
      .then(r => r.data as { sha: string; content?: string })
      .catch(e => (status(e) === 404 ? undefined : Promise.reject(e)));
    const same =
      existing?.content !== undefined &&
      content !== undefined &&
      Buffer.from(existing.content, 'base64').toString('utf8') === content;
    if (same || (!existing && content === undefined))
      return (await octokit.rest.repos.getBranch({ owner, repo: name, branch }))
        .data.commit.sha;
    if (content === undefined) {
      const { data } = await octokit.rest.repos.deleteFile({
        owner,
        repo: name,
        path,
        message,
        sha: existing!.sha,
        branch,
      });
      return data.commit.sha!;
    }
    const { data } = await octokit.rest.repos.createOrUpdateFileContents({
      owner,
      repo: name,
      path,
      message,
      content: Buffer.from(content).toString('base64'),
      sha: existing?.sha,
      branch,
    });
    return data.commit.sha!;
  }
}
