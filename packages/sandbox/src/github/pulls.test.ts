import { Octokit } from '@octokit/rest';
import { useSandbox } from '../__testUtils__/sandbox';
import { githubTokenOf } from './signIn';

const failure = (call: Promise<unknown>) =>
  call.then(
    () => 'accepted',
    (e: { status: number; response?: { data?: any } }) =>
      `${e.status} ${e.response?.data?.message}${
        e.response?.data?.errors
          ? `: ${e.response.data.errors
              .map((x: any) =>
                typeof x === 'string' ? x : x.message ?? x.code,
              )
              .join(', ')}`
          : ''
      }`,
  );

// GitHub's pull request flow on a branch that requires an approving review, as its REST API
// documents it: a branch made through git refs, the pull request, reviews, the merge.
describe('GitHub pull requests', () => {
  const sandbox = useSandbox();
  const as = async (login?: string) =>
    new Octokit({
      baseUrl: sandbox().githubUrl,
      auth: login ? await githubTokenOf(sandbox().url, login) : 'sandbox-token',
    });
  const repo = { owner: 'acme', repo: 'reviewed' };

  it('merges a change only once someone else with write access approved it', async () => {
    const integration = await as();
    await integration.rest.repos.createInOrg({
      org: 'acme',
      name: 'reviewed',
      auto_init: true,
    });
    // The platform admins may write; bob's team may not.
    await integration.rest.teams.addOrUpdateRepoPermissionsInOrg({
      org: 'acme',
      team_slug: 'platform-admins',
      ...repo,
      permission: 'push',
    });
    await integration.rest.repos.updateBranchProtection({
      ...repo,
      branch: 'main',
      required_status_checks: null,
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    });
    const content = Buffer.from('replicas: 3\n').toString('base64');
    expect(
      await failure(
        integration.rest.repos.createOrUpdateFileContents({
          ...repo,
          path: 'app.yaml',
          message: 'straight to main',
          content,
        }),
      ),
    ).toBe('409 Changes must be made through a pull request.');

    const main = (
      await integration.rest.repos.getBranch({ ...repo, branch: 'main' })
    ).data.commit.sha;
    await integration.rest.git.createRef({
      ...repo,
      ref: 'refs/heads/scale',
      sha: main,
    });
    expect(
      await failure(
        integration.rest.git.createRef({
          ...repo,
          ref: 'refs/heads/scale',
          sha: main,
        }),
      ),
    ).toBe('422 Reference already exists');
    // Nothing to merge yet.
    expect(
      await failure(
        integration.rest.pulls.create({
          ...repo,
          head: 'scale',
          base: 'main',
          title: 'Scale',
        }),
      ),
    ).toBe('422 Validation Failed: No commits between main and scale');
    await integration.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'app.yaml',
      message: 'Scale to 3',
      content,
      branch: 'scale',
    });
    const { data: pr } = await integration.rest.pulls.create({
      ...repo,
      head: 'acme:scale',
      base: 'main',
      title: 'Scale to 3',
    });
    expect(pr).toMatchObject({
      number: 1,
      state: 'open',
      merged: false,
      head: { ref: 'scale' },
      base: { ref: 'main', sha: main },
      html_url: `${sandbox().url}/acme/reviewed/pull/1`,
    });
    expect(
      await failure(
        integration.rest.pulls.create({
          ...repo,
          head: 'scale',
          base: 'main',
          title: 'Again',
        }),
      ),
    ).toBe(
      '422 Validation Failed: A pull request already exists for acme:scale.',
    );

    const merge = (client: Octokit) =>
      failure(client.rest.pulls.merge({ ...repo, pull_number: 1 }));
    expect(await merge(integration)).toBe(
      '405 At least 1 approving review is required by reviewers with write access.',
    );
    // The author cannot approve; an approval from someone without write access does not count.
    expect(
      await failure(
        integration.rest.pulls.createReview({
          ...repo,
          pull_number: 1,
          event: 'APPROVE',
        }),
      ),
    ).toBe('422 Unprocessable Entity: Can not approve your own pull request');
    const bob = await as('bob');
    await bob.rest.pulls.createReview({
      ...repo,
      pull_number: 1,
      event: 'APPROVE',
    });
    const carol = await as('carol');
    expect(await merge(carol)).toMatch(/^405 At least 1 approving review/);
    await carol.rest.pulls.createReview({
      ...repo,
      pull_number: 1,
      event: 'APPROVE',
      body: 'Looks right',
    });
    expect(await merge(bob)).toBe(
      '403 Must have write access to merge pull requests',
    );
    expect(await merge(carol)).toBe('accepted');

    const after = (
      await integration.rest.pulls.get({ ...repo, pull_number: 1 })
    ).data;
    const head = (
      await integration.rest.repos.getBranch({ ...repo, branch: 'main' })
    ).data.commit.sha;
    expect(after).toMatchObject({
      state: 'closed',
      merged: true,
      merged_by: { login: 'carol' },
      merge_commit_sha: head,
    });
    const file = await integration.rest.repos.getContent({
      ...repo,
      path: 'app.yaml',
    });
    expect(Buffer.from((file.data as any).content, 'base64').toString()).toBe(
      'replicas: 3\n',
    );
    expect(
      (
        await integration.rest.pulls.list({
          ...repo,
          state: 'closed',
          head: 'acme:scale',
        })
      ).data.map(p => p.number),
    ).toEqual([1]);
    expect((await integration.rest.pulls.list(repo)).data).toEqual([]);
    expect(await merge(carol)).toBe('405 Pull Request is not mergeable');
  });
});
