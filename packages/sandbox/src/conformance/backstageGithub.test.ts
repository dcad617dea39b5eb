import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Octokit } from '@octokit/rest';
import { useSandbox } from '../__testUtils__/sandbox';

// Backstage's own GitHub scaffolder action, `publish:github`, as a template author would use it
// on the embedded setup, against the sandbox's GitHub: what it asks of GitHub's REST API and of
// git over HTTP, answered as GitHub documents.
describe("Backstage's publish:github against the sandbox's GitHub", () => {
  const sandbox = useSandbox();
  const TOKEN = 'sandbox-token';
  let workspace: string;

  beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-github-'));
    fs.writeFileSync(path.join(workspace, 'README.md'), '# shop\n');
    fs.mkdirSync(path.join(workspace, 'src'));
    fs.writeFileSync(path.join(workspace, 'src', 'index.js'), 'ok();\n');
  });
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  const publish = (
    input: Record<string, unknown>,
    owner = 'acme',
    repo = 'shop',
  ) => {
    const host = new URL(sandbox().url).host;
    const config = new ConfigReader({
      integrations: {
        github: [{ host, apiBaseUrl: sandbox().githubUrl, token: TOKEN }],
      },
    });
    const action = createPublishGithubAction({
      integrations: ScmIntegrations.fromConfig(config),
      config,
    });
    const logger = {
      warn: jest.fn(),
      info: jest.fn(),
      error: jest.fn(),
      debug: jest.fn(),
      child: () => logger,
    };
    const ctx = createMockActionContext({
      logger,
      workspacePath: workspace,
      input: {
        repoUrl: `${host}?owner=${owner}&repo=${repo}`,
        ...input,
      } as any,
    });
    return {
      run: () => action.handler(ctx as any),
      output: ctx.output,
      logger,
    };
  };

  it('creates the repository in the organisation, pushes the workspace, and protects its default branch', async () => {
    const { run, output } = publish({
      description: 'The shop',
      topics: ['konductor', 'shop'],
      collaborators: [{ team: 'team-a', access: 'push' }],
      requireCodeOwnerReviews: true,
    });
    await run();
    const gh = new Octokit({ baseUrl: sandbox().githubUrl, auth: TOKEN });
    const repo = (await gh.rest.repos.get({ owner: 'acme', repo: 'shop' }))
      .data;
    // The action asks for private unless told otherwise.
    expect(repo).toMatchObject({
      private: true,
      visibility: 'private',
      default_branch: 'main',
      description: 'The shop',
    });
    expect(output).toHaveBeenCalledWith('remoteUrl', repo.clone_url);
    const readme = await gh.rest.repos.getContent({
      owner: 'acme',
      repo: 'shop',
      path: 'src/index.js',
    });
    expect(
      Buffer.from(
        (readme.data as { content: string }).content,
        'base64',
      ).toString(),
    ).toBe('ok();\n');
    expect(
      (await gh.rest.repos.getAllTopics({ owner: 'acme', repo: 'shop' })).data
        .names,
    ).toEqual(['konductor', 'shop']);
    const protection = (
      await gh.rest.repos.getBranchProtection({
        owner: 'acme',
        repo: 'shop',
        branch: 'main',
      })
    ).data;
    expect(protection.required_pull_request_reviews).toMatchObject({
      require_code_owner_reviews: true,
      required_approving_review_count: 1,
    });
    expect(protection.enforce_admins?.enabled).toBe(true);
  });

  it('fails as GitHub refuses: a name the organisation has, an organisation that does not exist; a topic GitHub refuses is left out with a warning', async () => {
    await expect(publish({}).run()).rejects.toThrow(
      'Failed to create the Organization repository acme/shop, Repository creation failed.',
    );
    await expect(publish({}, 'globex').run()).rejects.toMatchObject({
      status: 404,
    });
    const cart = publish({ topics: ['Shop Front'] }, 'acme', 'cart');
    await cart.run();
    expect(cart.logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^Skipping topics Shop Front, Validation Failed/),
    );
    const gh = new Octokit({ baseUrl: sandbox().githubUrl, auth: TOKEN });
    expect(
      (await gh.rest.repos.getAllTopics({ owner: 'acme', repo: 'cart' })).data
        .names,
    ).toEqual([]);
  });
});
