import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  createTemplateAction,
  initRepoAndPush,
} from '@backstage/plugin-scaffolder-node';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { z } from 'zod/v3';
import { parseInput } from './parseInput';
import { githubFor, statusOf } from './githubClient';
import { examples } from './githubRepoProvision.examples';
import { owningTeam, TEAM_SLUG_ANNOTATION } from './owningTeam';

/** Options of {@link createGithubRepoProvisionAction}. */
export interface GithubRepoProvisionActionOptions {
  integrations: ScmIntegrationRegistry;
  /** Where a group named as `ownerTeam` is looked up, as the task's user. */
  catalog: CatalogService;
  githubCredentialsProvider?: GithubCredentialsProvider;
  /** Commit author of the initial push (the scaffolder's `defaultAuthor`). */
  author?: { name?: string; email?: string };
}

const outputSchema = z.object({
  remoteUrl: z.string().describe('The git URL of the repository.'),
  repoContentsUrl: z
    .string()
    .describe('Base URL of the default branch contents, for catalog:register.'),
  repoUrl: z.string().describe('The repository page.'),
  created: z
    .boolean()
    .describe('False when an existing empty repository was adopted.'),
});

const inputSchema = z.object({
  repoUrl: z
    .string()
    .describe(
      'Repository location as RepoUrlPicker writes it: github.com?owner=acme&repo=shop.',
    ),
  description: z.string().optional().describe('Repository description.'),
  visibility: z
    .enum(['private', 'internal', 'public'])
    .default('private')
    .describe('Repository visibility.'),
  defaultBranch: z
    .string()
    .default('main')
    .describe('The default branch, which is protected.'),
  sourcePath: z
    .string()
    .optional()
    .describe(
      'Folder of the workspace to push; the whole workspace by default.',
    ),
  ownerTeam: z
    .string()
    .optional()
    .describe(
      `The GitHub team that owns the repository (CODEOWNERS, maintain permission): its slug, or a catalog group that is a team of the repository's organisation (its ${TEAM_SLUG_ANNOTATION} annotation, as the GitHub org provider writes it), such as group:default/payments. Checked on GitHub before the repository is created.`,
    ),
  requiredApprovals: z
    .number()
    .int()
    .min(0)
    .max(6)
    .default(1)
    .describe('Approving reviews a pull request needs.'),
  requiredStatusChecks: z
    .array(z.string())
    .default([])
    .describe('Status checks that must pass before merging.'),
});

/** The workspace folder `sourcePath` names; refused when it leads outside the workspace. */
function workspaceFolder(workspacePath: string, sourcePath = '.'): string {
  try {
    return resolveSafeChildPath(workspacePath, sourcePath);
  } catch {
    throw new InputError(
      `sourcePath: "${sourcePath}" leads outside the task's workspace: use a folder inside it, such as . or ./service`,
    );
  }
}

/**
 * `konductor:github:repo:provision`: creates the repository (or adopts an empty one), pushes the
 * workspace, and applies the compliance baseline: protected default branch with required reviews
 * and status checks and no force pushes, CODEOWNERS and team permission for the owning team,
 * secret scanning with push protection, vulnerability alerts.
 */
export function createGithubRepoProvisionAction(
  options: GithubRepoProvisionActionOptions,
) {
  const credentialsProvider =
    options.githubCredentialsProvider ??
    DefaultGithubCredentialsProvider.fromIntegrations(options.integrations);
  return createTemplateAction({
    id: 'konductor:github:repo:provision',
    description:
      'Creates a GitHub repository in an organisation or for the user (adopting one that exists and is empty), pushes the workspace, and applies the compliance baseline: branch protection with required reviews and status checks and no force pushes, CODEOWNERS and maintain permission for the owning team, secret scanning with push protection, and vulnerability alerts.',
    examples,
    schema: {
      input: () => inputSchema,
      output: () => outputSchema,
    },
    async handler(ctx) {
      // The scaffolder validates input but applies no defaults: parse it here.
      const input = parseInput(inputSchema, ctx.input);
      // Refused before anything exists: only the task's own workspace is pushed.
      const dir = workspaceFolder(ctx.workspacePath, input.sourcePath);
      const { octokit, owner, repo, token } = await githubFor(
        input.repoUrl,
        options.integrations,
        credentialsProvider,
        ctx.logger,
      );
      const branch = input.defaultBranch;

      const target = await ctx.checkpoint({
        key: `konductor.github.${owner}.${repo}.create`,
        fn: async () => {
          const me = (await octokit.rest.users.getAuthenticated()).data.login;
          const isUser = me.toLowerCase() === owner.toLowerCase();
          // An organisation's repository is given to its owning team: refused before it exists
          // when that is no team of the organisation.
          const team =
            input.ownerTeam && !isUser
              ? await owningTeam({
                  ownerTeam: input.ownerTeam,
                  org: owner,
                  octokit,
                  catalog: options.catalog,
                  credentials: await ctx.getInitiatorCredentials(),
                })
              : null;
          // GitHub accepts "internal" for enterprise organisations; Octokit's types list only the other two.
          const visibility = input.visibility as 'private' | 'public';
          const params = {
            name: repo,
            description: input.description,
            private: visibility !== 'public',
            visibility,
          };
          try {
            const { data } = isUser
              ? await octokit.rest.repos.createForAuthenticatedUser(params)
              : await octokit.rest.repos.createInOrg({ org: owner, ...params });
            return {
              htmlUrl: data.html_url,
              cloneUrl: data.clone_url,
              isUser,
              team,
              created: true,
            };
          } catch (e) {
            if (statusOf(e) !== 422) throw e;
            const { data } = await octokit.rest.repos.get({ owner, repo });
            const hasCommits = await octokit.rest.repos
              .getBranch({ owner, repo, branch: data.default_branch })
              .then(
                () => true,
                err => {
                  if (statusOf(err) === 404) return false;
                  throw err;
                },
              );
            if (hasCommits)
              throw new ConflictError(
                `Repository ${owner}/${repo} already exists and is not empty: choose another name, or delete it first`,
              );
            ctx.logger.info(
              `Adopting the existing empty repository ${owner}/${repo}`,
            );
            return {
              htmlUrl: data.html_url,
              cloneUrl: data.clone_url,
              isUser,
              team,
              created: false,
            };
          }
        },
      });

      const pushed = await octokit.rest.repos
        .getBranch({ owner, repo, branch })
        .then(
          () => true,
          e => {
            if (statusOf(e) === 404) return false;
            throw e;
          },
        );
      if (!pushed) {
        // A task resumed without its workspace (no scaffolder.taskRecovery.workspaceProvider)
        // would push an empty repository: refuse, and say how to get it right.
        const files = await fs.readdir(dir).catch(() => [] as string[]);
        if (!files.some(f => f !== '.git'))
          throw new InputError(
            `The task's workspace (${
              input.sourcePath ?? '.'
            }) is empty, so there is nothing to push to ${owner}/${repo}: if the backend restarted during this task, configure scaffolder.taskRecovery.workspaceProvider so workspaces survive restarts, and start the request again`,
          );
        if (target.team) {
          const file = path.join(dir, '.github', 'CODEOWNERS');
          const exists = await fs.stat(file).then(
            () => true,
            () => false,
          );
          if (!exists) {
            await fs.mkdir(path.dirname(file), { recursive: true });
            await fs.writeFile(
              file,
              `# Owned by the ${target.team} team (written by Konductor)\n* @${owner}/${target.team}\n`,
            );
          }
        }
        await initRepoAndPush({
          dir,
          remoteUrl: target.cloneUrl,
          defaultBranch: branch,
          logger: ctx.logger,
          auth: { username: 'x-access-token', password: token },
          commitMessage: 'Initial commit by Konductor',
          gitAuthorInfo: options.author,
        });
        ctx.logger.info(`Pushed the workspace to ${owner}/${repo}@${branch}`);
      }

      if (target.team) {
        await octokit.rest.teams.addOrUpdateRepoPermissionsInOrg({
          org: owner,
          team_slug: target.team,
          owner,
          repo,
          permission: 'maintain',
        });
      }
      await octokit.rest.repos.update({
        owner,
        repo,
        security_and_analysis: {
          secret_scanning: { status: 'enabled' },
          secret_scanning_push_protection: { status: 'enabled' },
        },
      });
      await octokit.rest.repos.enableVulnerabilityAlerts({ owner, repo });
      await octokit.rest.repos.updateBranchProtection({
        owner,
        repo,
        branch,
        required_status_checks: input.requiredStatusChecks.length
          ? { strict: true, contexts: input.requiredStatusChecks }
          : null,
        enforce_admins: true,
        required_pull_request_reviews: {
          required_approving_review_count: input.requiredApprovals,
          require_code_owner_reviews: !!target.team,
          dismiss_stale_reviews: true,
        },
        restrictions: null,
        allow_force_pushes: false,
        allow_deletions: false,
      });
      ctx.logger.info(
        `Applied the compliance baseline to ${owner}/${repo}: protected ${branch} (${
          input.requiredApprovals
        } approvals), secret scanning with push protection, vulnerability alerts${
          target.team ? `, team ${target.team}` : ''
        }`,
      );

      ctx.output('remoteUrl', target.cloneUrl);
      ctx.output('repoUrl', target.htmlUrl);
      ctx.output('repoContentsUrl', `${target.htmlUrl}/blob/${branch}`);
      ctx.output('created', target.created);
    },
  });
}
