import type { Octokit } from '@octokit/rest';

/**
 * Where a write to the GitOps repository went: onto its branch (`revision`, the branch's commit
 * afterwards), or, where the branch's protection requires reviews, into a pull request to it that
 * waits for someone to review and merge it.
 */
export type GitOpsWrite =
  | { revision: string }
  | { pullRequest: { number: number; url: string } };

/** What became of a pull request: merged (the commit its merge made), closed unmerged, or open. */
export type PullRequestState =
  | { merged: string }
  | { closed: true }
  | { open: true };

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
   * Writes `path` (or deletes it, `content` undefined) in one commit: on the branch, or where the
   * branch requires reviews on the branch `change` (made from the branch's head, reused when it
   * exists) in a pull request to the branch. Content the branch already holds makes no commit
   * and no pull request.
   */
  write(
    path: string,
    content: string | undefined,
    message: string,
    change: string,
  ): Promise<GitOpsWrite>;
  /** What became of pull request `number`. */
  pullRequest(number: number): Promise<PullRequestState>;
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
   * A branch whose protection requires pull request reviews is never written directly, even by an
   * integration that may bypass it: the change goes to a pull request.
   */
  write(
    path: string,
    content: string | undefined,
    message: string,
    change: string,
  ): Promise<GitOpsWrite> {
    const attempt = async (n: number): Promise<GitOpsWrite> => {
      try {
        return (await this.requiresReviews())
          ? await this.propose(path, content, message, change)
          : {
              revision: await this.commit(
                this.repo.branch,
                path,
                content,
                message,
              ),
            };
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

  async pullRequest(number: number): Promise<PullRequestState> {
    const { owner, name } = this.repo;
    const { data } = await (
      await this.octokit()
    ).rest.pulls.get({ owner, repo: name, pull_number: number });
    if (data.merged && data.merge_commit_sha)
      return { merged: data.merge_commit_sha };
    return data.state === 'closed' ? { closed: true } : { open: true };
  }

  /**
   * Whether the branch's protection requires pull request reviews. Reading protection needs
   * admin rights: where it cannot be read, a protected branch is taken to require them.
   */
  private async requiresReviews() {
    const { owner, name, branch } = this.repo;
    const octokit = await this.octokit();
    const { data } = await octokit.rest.repos.getBranch({
      owner,
      repo: name,
      branch,
    });
    if (!data.protected) return false;
    return octokit.rest.repos
      .getBranchProtection({ owner, repo: name, branch })
      .then(p => !!p.data.required_pull_request_reviews)
      .catch(e => ([403, 404].includes(status(e)!) ? true : Promise.reject(e)));
  }

  /** The change on branch `change`, in a pull request to the branch (one per change branch). */
  private async propose(
    path: string,
    content: string | undefined,
    message: string,
    change: string,
  ): Promise<GitOpsWrite> {
    const { owner, name, branch } = this.repo;
    const octokit = await this.octokit();
    const head = (
      await octokit.rest.repos.getBranch({ owner, repo: name, branch })
    ).data.commit.sha;
    if ((await this.read(path, head)) === content) return { revision: head };
    await octokit.rest.git
      .createRef({ owner, repo: name, ref: `refs/heads/${change}`, sha: head })
      .catch(e =>
        status(e) === 422 &&
        /already exists/i.test(String((e as Error).message))
          ? undefined
          : Promise.reject(e),
      );
    await this.commit(change, path, content, message);
    const open = (
      await octokit.rest.pulls.list({
        owner,
        repo: name,
        state: 'open',
        head: `${owner}:${change}`,
        base: branch,
      })
    ).data[0];
    const pr =
      open ??
      (
        await octokit.rest.pulls.create({
          owner,
          repo: name,
          head: change,
          base: branch,
          title: message,
          body: `Proposed by Konductor: ${message}. Merging it delivers the change (Argo CD syncs ${branch}); the portal's run waits for the merge.`,
        })
      ).data;
    return { pullRequest: { number: pr.number, url: pr.html_url } };
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

  /** Commits `path` onto `branch` (unchanged content makes no commit), answering its head. */
  private async commit(
    branch: string,
    path: string,
    content: string | undefined,
    message: string,
  ) {
    const { owner, name } = this.repo;
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
