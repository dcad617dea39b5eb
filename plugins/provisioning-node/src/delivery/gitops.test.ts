import { Octokit } from '@octokit/rest';
import { githubTokenOf, Sandbox, startSandbox } from '@konductor/sandbox';
import { GithubGitOpsRepository } from './gitops';

// Twelve commits one after another, each a few git processes: seconds on a busy machine.
jest.setTimeout(60_000);

describe('the GitOps repository on GitHub', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ platformHub: true });
  });
  afterAll(() => sandbox.stop());

  it("lands every one of this portal's parallel writes, though GitHub refuses parallel contents writes", async () => {
    const gh = new Octokit({
      baseUrl: sandbox.githubUrl,
      auth: 'sandbox-token',
    });
    const repository = new GithubGitOpsRepository(async () => gh, {
      owner: 'acme',
      name: 'deployments',
      branch: 'main',
      cloneUrl: 'unused',
    });
    const stacks = Array.from({ length: 6 }, (_, i) => `s${i}-dev`);
    const revisions = await Promise.all(
      stacks.map(s =>
        repository.write(
          `stacks/${s}/app.yaml`,
          `kind: ${s}\n`,
          `${s}: app`,
          `konductor/${s}/run-1`,
        ),
      ),
    );
    // An unprotected branch takes each write as a commit of its own.
    expect(
      new Set(revisions.map(r => ('revision' in r ? r.revision : r))).size,
    ).toBe(stacks.length);
    for (const s of stacks) {
      const { data } = await gh.rest.repos.getContent({
        owner: 'acme',
        repo: 'deployments',
        path: `stacks/${s}/app.yaml`,
      });
      expect(
        Buffer.from((data as { content: string }).content, 'base64').toString(),
      ).toBe(`kind: ${s}\n`);
    }
    // Removed in parallel too, each once.
    await Promise.all(
      stacks.map(s =>
        repository.write(
          `stacks/${s}/app.yaml`,
          undefined,
          `${s}: removed`,
          `konductor/${s}/run-2`,
        ),
      ),
    );
    for (const s of stacks)
      await expect(
        gh.rest.repos.getContent({
          owner: 'acme',
          repo: 'deployments',
          path: `stacks/${s}/app.yaml`,
        }),
      ).rejects.toMatchObject({ status: 404 });
  });

  it('proposes each change in a pull request where the branch requires reviews, and learns when it is merged or closed', async () => {
    const gh = new Octokit({
      baseUrl: sandbox.githubUrl,
      auth: 'sandbox-token',
    });
    const repo = { owner: 'acme', repo: 'deployments' };
    const repository = new GithubGitOpsRepository(async () => gh, {
      owner: 'acme',
      name: 'deployments',
      branch: 'main',
      cloneUrl: 'unused',
    });
    await gh.rest.teams.addOrUpdateRepoPermissionsInOrg({
      org: 'acme',
      team_slug: 'platform-admins',
      ...repo,
      permission: 'push',
    });
    // Admins included: the integration may not bypass the review either.
    await gh.rest.repos.updateBranchProtection({
      ...repo,
      branch: 'main',
      required_status_checks: null,
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    });
    const head = async () =>
      (await gh.rest.repos.getBranch({ ...repo, branch: 'main' })).data.commit
        .sha;
    const before = await head();
    const write = (content: string | undefined, change: string) =>
      repository.write(
        'stacks/shop-dev/app.yaml',
        content,
        'shop-dev: app',
        change,
      );

    const proposed = await write('replicas: 2\n', 'konductor/shop-dev/run-3');
    expect(proposed).toEqual({
      pullRequest: {
        number: expect.any(Number),
        url: expect.stringMatching(/\/acme\/deployments\/pull\/\d+$/),
      },
    });
    const { number } = (proposed as { pullRequest: { number: number } })
      .pullRequest;
    expect(await head()).toBe(before);
    // The same change again (a resumed run) finds its pull request instead of opening another.
    expect(await write('replicas: 2\n', 'konductor/shop-dev/run-3')).toEqual(
      proposed,
    );
    expect(await repository.pullRequest(number)).toEqual({ open: true });

    const carol = new Octokit({
      baseUrl: sandbox.githubUrl,
      auth: await githubTokenOf(sandbox.url, 'carol'),
    });
    await carol.rest.pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'APPROVE',
    });
    await carol.rest.pulls.merge({ ...repo, pull_number: number });
    expect(await repository.pullRequest(number)).toEqual({
      merged: await head(),
    });
    // What the branch now holds needs no pull request.
    expect(await write('replicas: 2\n', 'konductor/shop-dev/run-4')).toEqual({
      revision: await head(),
    });

    const declined = await write('replicas: 9\n', 'konductor/shop-dev/run-5');
    const other = (declined as { pullRequest: { number: number } }).pullRequest
      .number;
    expect(other).not.toBe(number);
    await carol.rest.pulls.update({
      ...repo,
      pull_number: other,
      state: 'closed',
    });
    expect(await repository.pullRequest(other)).toEqual({ closed: true });
    expect(
      await repository.read('stacks/shop-dev/app.yaml', await head()),
    ).toBe('replicas: 2\n');
  });
});
