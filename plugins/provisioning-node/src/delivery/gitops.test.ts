import { Octokit } from '@octokit/rest';
import { Sandbox, startSandbox } from '@konductor/sandbox';
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
        repository.write(`stacks/${s}/app.yaml`, `kind: ${s}\n`, `${s}: app`),
      ),
    );
    expect(new Set(revisions).size).toBe(stacks.length);
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
        repository.write(`stacks/${s}/app.yaml`, undefined, `${s}: removed`),
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
});
