import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  json,
} from '../types';
import {
  BranchMoved,
  branchHead,
  commitFile,
  commitOf,
  initBareRepo,
  readFile,
  repoDir,
} from './git';
import { SANDBOX_USER, SandboxTeam } from './identity';
import { handlePulls, type PullRequest } from './pulls';
import { err, notFound } from './responses';
import { protectedBranchRefusal, writePushRules } from './pushRules';

export { handleGitHttp } from './git';

type Status = { status: 'enabled' | 'disabled' };
export interface Repo {
  id: number;
  owner: string;
  ownerType: 'User' | 'Organization';
  name: string;
  description?: string;
  private: boolean;
  defaultBranch: string;
  createdAt: number;
  settings: Record<string, unknown>;
  topics?: string[];
  securityAndAnalysis: Record<string, Status>;
  vulnerabilityAlerts: boolean;
  protection: Record<string, any>;
  teams: Record<string, string>;
  collaborators: Record<string, string>;
  /** Pull requests, by number (numbers shared with issues on GitHub; none here). */
  pulls?: PullRequest[];
}

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** Repository settings a create or an update sets and the repository answers with as they are. */
const SETTINGS = [
  'homepage',
  'has_issues',
  'has_projects',
  'has_wiki',
  'delete_branch_on_merge',
  'allow_merge_commit',
  'allow_squash_merge',
  'allow_rebase_merge',
  'allow_auto_merge',
  'allow_update_branch',
  'squash_merge_commit_title',
  'squash_merge_commit_message',
];
/** GitHub's rule for a topic: lower-case letters, digits and hyphens, at most 50 characters. */
const TOPIC = /^[a-z0-9][a-z0-9-]{0,49}$/;

function applySettings(repo: Repo, body: Record<string, unknown>) {
  for (const k of SETTINGS)
    if (body[k] !== undefined) repo.settings[k] = body[k];
}

/**
 * A new repository with GitHub's defaults (branch main, no protection, security features off),
 * with a README commit when `autoInit`. The name must be free.
 */
export async function createRepo(
  ctx: SandboxContext,
  r: {
    owner: string;
    ownerType: Repo['ownerType'];
    name: string;
    description?: string;
    private: boolean;
    autoInit: boolean;
  },
): Promise<Repo> {
  const repo: Repo = {
    id: 1000 + ctx.state.next(),
    owner: r.owner,
    ownerType: r.ownerType,
    name: r.name,
    description: r.description,
    private: r.private,
    defaultBranch: 'main',
    createdAt: Date.now(),
    settings: {},
    vulnerabilityAlerts: false,
    protection: {},
    teams: {},
    collaborators: {},
    securityAndAnalysis: {
      advanced_security: { status: 'disabled' },
      secret_scanning: { status: 'disabled' },
      secret_scanning_push_protection: { status: 'disabled' },
      dependabot_security_updates: { status: 'disabled' },
    },
  };
  const dir = repoDir(ctx, r.owner, r.name);
  await initBareRepo(dir, repo.defaultBranch);
  if (r.autoInit)
    await commitFile(
      dir,
      repo.defaultBranch,
      'README.md',
      Buffer.from(`# ${r.name}\n`),
      'Initial commit',
      { name: SANDBOX_USER, email: 'sandbox@localhost' },
    );
  ctx.state.put({
    service: 'github',
    type: 'repo',
    id: `${r.owner}/${r.name}`.toLowerCase(),
    createdAt: repo.createdAt,
    data: repo,
  });
  return repo;
}

/** A team as GitHub's REST API returns it. */
function renderTeam(t: SandboxTeam, ctx: SandboxContext) {
  const org = ctx.github.org.login;
  const url = `${ctx.url}/github/orgs/${org}/teams/${t.slug}`;
  return {
    id: 200 + ctx.github.org.teams.indexOf(t),
    node_id: `T_sandbox${t.slug}`,
    url,
    html_url: `${ctx.url}/orgs/${org}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: t.description,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    parent: null,
  };
}

function render(r: Repo, ctx: SandboxContext) {
  const full = `${r.owner}/${r.name}`;
  return {
    id: r.id,
    node_id: `R_sandbox${r.id}`,
    name: r.name,
    full_name: full,
    private: r.private,
    visibility: r.private ? 'private' : 'public',
    description: r.description ?? null,
    owner: { login: r.owner, type: r.ownerType, id: 1 },
    html_url: `${ctx.url}/${full}`,
    url: `${ctx.url}/github/repos/${full}`,
    clone_url: `${ctx.url}/git/${full}.git`,
    archive_url: `${ctx.url}/github/repos/${full}/{archive_format}{/ref}`,
    default_branch: r.defaultBranch,
    created_at: new Date(r.createdAt).toISOString(),
    security_and_analysis: r.securityAndAnalysis,
    permissions: {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    },
    topics: r.topics ?? [],
    ...r.settings,
  };
}

function renderProtection(p: Record<string, any>, base: string) {
  const enabled = (v: unknown) => ({ enabled: !!v });
  return {
    url: `${base}/protection`,
    required_status_checks: p.required_status_checks
      ? {
          strict: !!p.required_status_checks.strict,
          contexts: p.required_status_checks.contexts ?? [],
          checks: (p.required_status_checks.contexts ?? []).map(
            (context: string) => ({ context, app_id: null }),
          ),
        }
      : undefined,
    enforce_admins: {
      url: `${base}/protection/enforce_admins`,
      enabled: !!p.enforce_admins,
    },
    required_pull_request_reviews: p.required_pull_request_reviews
      ? {
          dismiss_stale_reviews:
            !!p.required_pull_request_reviews.dismiss_stale_reviews,
          require_code_owner_reviews:
            !!p.required_pull_request_reviews.require_code_owner_reviews,
          required_approving_review_count:
            p.required_pull_request_reviews.required_approving_review_count ??
            1,
          require_last_push_approval:
            !!p.required_pull_request_reviews.require_last_push_approval,
        }
      : undefined,
    required_linear_history: enabled(p.required_linear_history),
    allow_force_pushes: enabled(p.allow_force_pushes),
    allow_deletions: enabled(p.allow_deletions),
    required_conversation_resolution: enabled(
      p.required_conversation_resolution,
    ),
  };
}

/** GitHub REST for `@octokit/rest` with `baseUrl: <sandbox>/github`. */
export async function handleGithub(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse> {
  const auth = String(req.headers.authorization ?? '');
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const route = `${req.method} /${parts
    .map((p, i) =>
      [
        'repos',
        'orgs',
        'user',
        'branches',
        'protection',
        'contents',
        'collaborators',
        'permission',
        'teams',
        'vulnerability-alerts',
        'commits',
        'status',
        'tarball',
        'pulls',
        'reviews',
        'merge',
        'git',
        'refs',
        'heads',
      ].includes(p) || i === 0
        ? p
        : ':',
    )
    .join('/')}`;
  if (!/^(token|Bearer) \S+/i.test(auth))
    return err(401, 'Requires authentication');
  const outcome = await ctx.fault('github', route);
  if (outcome.error === 'throttle')
    return {
      ...err(403, 'API rate limit exceeded for user.'),
      headers: {
        'content-type': 'application/json',
        'x-ratelimit-remaining': '0',
        'retry-after': '1',
      },
    };
  if (outcome.error) return err(500, 'Server Error');

  let body: any = {};
  if (req.body.length) {
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return err(400, 'Problems parsing JSON');
    }
  }
  const findRepo = (owner: string, name: string) =>
    ctx.state.get<Repo>('github', 'repo', `${owner}/${name}`.toLowerCase());

  if (route === 'GET /user') {
    // Who the token was issued to: a member who signed in, or the integration's user.
    const login = ctx.github.loginOf(auth)!;
    const member = ctx.github.member(login);
    const id = member ? 100 + ctx.github.org.members.indexOf(member) : 1;
    return json(200, {
      login,
      id,
      node_id: `U_sandbox${id}`,
      type: 'User',
      name: member?.name ?? 'Sandbox User',
      email: member?.email ?? null,
      avatar_url: `${ctx.url}/avatars/${login}.svg`,
      html_url: `${ctx.url}/${login}`,
      url: `${ctx.url}/github/users/${login}`,
      site_admin: false,
    });
  }

  // An account by login: the organisation, one of its people, or the integration's user.
  if (route === 'GET /users/:') {
    const login = parts[1];
    if (login.toLowerCase() === ctx.github.org.login.toLowerCase())
      return json(200, {
        login: ctx.github.org.login,
        id: 1,
        node_id: 'O_sandbox1',
        type: 'Organization',
        html_url: `${ctx.url}/${ctx.github.org.login}`,
        url: `${ctx.url}/github/users/${ctx.github.org.login}`,
        site_admin: false,
      });
    const member = ctx.github.member(login);
    if (!member && login !== SANDBOX_USER) return notFound();
    const id = member ? 100 + ctx.github.org.members.indexOf(member) : 1;
    return json(200, {
      login: member?.login ?? SANDBOX_USER,
      id,
      node_id: `U_sandbox${id}`,
      type: 'User',
      name: member?.name ?? 'Sandbox User',
      html_url: `${ctx.url}/${login}`,
      url: `${ctx.url}/github/users/${login}`,
      site_admin: false,
    });
  }

  // The organisation's teams, by slug; another organisation has none (and is not found).
  const teamOf = (orgLogin: string, slug: string) =>
    orgLogin.toLowerCase() === ctx.github.org.login.toLowerCase()
      ? ctx.github.org.teams.find(t => t.slug === slug.toLowerCase())
      : undefined;
  if (route === 'GET /orgs/:/teams/:') {
    const team = teamOf(parts[1], parts[3]);
    return team ? json(200, renderTeam(team, ctx)) : notFound();
  }

  // Create a repository in an org or for the user; an organisation that does not exist is 404.
  if (route === 'POST /orgs/:/repos' || route === 'POST /user/repos') {
    if (
      route.startsWith('POST /orgs') &&
      parts[1].toLowerCase() !== ctx.github.org.login.toLowerCase()
    )
      return notFound();
    const owner = route.startsWith('POST /orgs') ? parts[1] : SANDBOX_USER;
    const name = body.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      return err(422, 'Repository creation failed.', {
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name is invalid',
          },
        ],
      });
    }
    if (findRepo(owner, name)) {
      return err(422, 'Repository creation failed.', {
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
      });
    }
    const repo = await createRepo(ctx, {
      owner,
      ownerType: route.startsWith('POST /orgs') ? 'Organization' : 'User',
      name,
      description: body.description,
      // GitHub's default is public: `private` false unless a visibility says otherwise.
      private: body.private ?? (body.visibility ?? 'public') !== 'public',
      autoInit: !!body.auto_init,
    });
    applySettings(repo, body);
    ctx.state.save();
    return json(201, render(repo, ctx));
  }

  if (parts[0] !== 'repos' && !(parts[0] === 'orgs' && parts[2] === 'teams'))
    return notFound();

  // Team permissions: /orgs/{org}/teams/{team}/repos/{owner}/{repo}; a team the organisation
  // does not have is 404, as on GitHub.
  if (parts[0] === 'orgs') {
    const r = parts[4] === 'repos' ? findRepo(parts[5], parts[6]) : undefined;
    if (!r || !teamOf(parts[1], parts[3])) return notFound();
    const team = parts[3].toLowerCase();
    if (req.method === 'PUT') {
      const permission = body.permission ?? 'push';
      if (
        !['pull', 'triage', 'push', 'maintain', 'admin'].includes(permission)
      ) {
        return err(422, 'Validation Failed', {
          errors: [
            {
              resource: 'TeamRepository',
              field: 'permission',
              code: 'invalid',
            },
          ],
        });
      }
      r.data.teams[team] = permission;
      ctx.state.put(r);
      return { status: 204 };
    }
    if (req.method === 'GET')
      return r.data.teams[team] ? { status: 204 } : notFound();
    if (req.method === 'DELETE') {
      delete r.data.teams[team];
      ctx.state.put(r);
      return { status: 204 };
    }
    return notFound();
  }

  const r = findRepo(parts[1], parts[2]);
  if (!r) return notFound();
  const repo = r.data;
  const dir = repoDir(ctx, repo.owner, repo.name);
  const base = `${ctx.url}/github/repos/${repo.owner}/${repo.name}`;
  const rest = parts.slice(3);
  const save = () => ctx.state.put(r);

  if (rest.length === 0) {
    if (req.method === 'GET') return json(200, render(repo, ctx));
    if (req.method === 'PATCH') {
      const { security_and_analysis: sa, name: _rename, ...settings } = body;
      if (settings.default_branch) repo.defaultBranch = settings.default_branch;
      if (settings.private !== undefined) repo.private = !!settings.private;
      if (settings.description !== undefined)
        repo.description = settings.description;
      applySettings(repo, settings);
      if (sa) {
        for (const [k, v] of Object.entries(sa as Record<string, any>)) {
          if (
            !(k in repo.securityAndAnalysis) ||
            !['enabled', 'disabled'].includes(v?.status)
          ) {
            return err(
              422,
              `Invalid security_and_analysis setting '${k}': status must be "enabled" or "disabled"`,
            );
          }
          repo.securityAndAnalysis[k] = { status: v.status };
        }
      }
      save();
      return json(200, render(repo, ctx));
    }
    if (req.method === 'DELETE') {
      ctx.state.remove('github', 'repo', r.id);
      require('node:fs').rmSync(dir, { recursive: true, force: true });
      return { status: 204 };
    }
  }

  // Topics: replaced as a whole, each lower-case letters, digits and hyphens, at most 20.
  if (rest[0] === 'topics' && rest.length === 1) {
    if (req.method === 'PUT') {
      const names: unknown = body.names;
      if (
        !Array.isArray(names) ||
        names.length > 20 ||
        !names.every(n => typeof n === 'string' && TOPIC.test(n))
      )
        return err(422, 'Validation Failed', {
          errors: [
            {
              resource: 'Repository',
              field: 'topics',
              code: 'invalid',
              message:
                'Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens.',
            },
          ],
        });
      repo.topics = [...new Set(names as string[])];
      save();
    } else if (req.method !== 'GET') return notFound();
    return json(200, { names: repo.topics ?? [] });
  }

  if (rest[0] === 'vulnerability-alerts') {
    if (req.method === 'GET')
      return repo.vulnerabilityAlerts
        ? { status: 204 }
        : err(404, 'Vulnerability alerts are disabled.');
    repo.vulnerabilityAlerts = req.method === 'PUT';
    save();
    return { status: 204 };
  }

  if (rest[0] === 'teams' && req.method === 'GET') {
    return json(
      200,
      Object.entries(repo.teams).flatMap(([slug, permission]) => {
        const team = teamOf(repo.owner, slug);
        return team ? [{ ...renderTeam(team, ctx), permission }] : [];
      }),
    );
  }

  // The combined status of a ref's commit (no status is ever set here: `pending`, none), which
  // Backstage's GitHub URL reader asks for the commit and the repository before reading a tree.
  if (
    rest[0] === 'commits' &&
    rest[2] === 'status' &&
    rest.length === 3 &&
    req.method === 'GET'
  ) {
    const sha = await commitOf(dir, rest[1]);
    if (!sha) return err(422, `No commit found for SHA: ${rest[1]}`);
    return json(200, {
      state: 'pending',
      statuses: [],
      sha,
      total_count: 0,
      repository: render(repo, ctx),
      commit_url: `${base}/commits/${sha}`,
      url: `${base}/commits/${sha}/status`,
    });
  }

  // An archive of a ref: like GitHub, a redirect to the download (codeload) of its commit.
  if (rest[0] === 'tarball' && rest.length <= 2 && req.method === 'GET') {
    const sha = await commitOf(dir, rest[1] ?? repo.defaultBranch);
    if (!sha) return notFound();
    return {
      status: 302,
      headers: {
        location: `${ctx.url}/codeload/${repo.owner}/${repo.name}/legacy.tar.gz/${sha}`,
      },
    };
  }

  if (rest[0] === 'branches' && rest[1]) {
    const branch = rest[1];
    const head = await branchHead(dir, branch);
    if (!head) return err(404, 'Branch not found');
    if (rest.length === 2 && req.method === 'GET') {
      return json(200, {
        name: branch,
        commit: { sha: head },
        protected: !!repo.protection[branch],
      });
    }
    if (rest[2] === 'protection') {
      if (req.method === 'GET') {
        return repo.protection[branch]
          ? json(
              200,
              renderProtection(
                repo.protection[branch],
                `${base}/branches/${branch}`,
              ),
            )
          : err(404, 'Branch not protected');
      }
      if (req.method === 'PUT') {
        const missing = [
          'required_status_checks',
          'enforce_admins',
          'required_pull_request_reviews',
          'restrictions',
        ].filter(k => !(k in body));
        if (missing.length) {
          return err(
            422,
            `Invalid request.\n\n${missing
              .map(k => `"${k}" wasn't supplied.`)
              .join('\n')}`,
          );
        }
        const count =
          body.required_pull_request_reviews?.required_approving_review_count;
        if (
          count !== undefined &&
          !(Number.isInteger(count) && count >= 0 && count <= 6)
        ) {
          return err(
            422,
            'Invalid request.\n\nrequired_approving_review_count must be between 0 and 6.',
          );
        }
        repo.protection[branch] = body;
        save();
        writePushRules(dir, repo.protection);
        return json(200, renderProtection(body, `${base}/branches/${branch}`));
      }
      if (req.method === 'DELETE') {
        delete repo.protection[branch];
        save();
        writePushRules(dir, repo.protection);
        return { status: 204 };
      }
    }
  }

  /** The contents API on one file: read, create or update, delete. */
  const contents = async (file: string): Promise<SandboxResponse> => {
    const branch = body.branch ?? req.query.get('ref') ?? repo.defaultBranch;
    const existing = await readFile(dir, branch, file);
    if (req.method === 'GET') {
      if (!existing) return notFound();
      // Backstage's GitHub URL reader (catalog:register, the catalog) asks for the raw file.
      if (/\.raw\b/.test(String(req.headers.accept ?? '')))
        return {
          status: 200,
          headers: {
            'content-type': 'application/octet-stream',
            etag: `"${existing.sha}"`,
          },
          body: existing.content,
        };
      return json(200, {
        type: 'file',
        encoding: 'base64',
        path: file,
        name: file.split('/').pop(),
        sha: existing.sha,
        size: existing.content.length,
        content: existing.content.toString('base64'),
      });
    }
    const refused =
      (req.method === 'PUT' || req.method === 'DELETE') &&
      protectedBranchRefusal(repo.protection, branch, ctx.github.loginOf(auth));
    if (refused) return err(409, refused);
    if (req.method === 'PUT') {
      if (
        typeof body.message !== 'string' ||
        typeof body.content !== 'string'
      ) {
        return err(
          422,
          'Invalid request.\n\n"message" and "content" are required.',
        );
      }
      if (existing && body.sha !== existing.sha) {
        return err(
          409,
          `${file} does not match ${body.sha ?? 'the missing sha'}`,
        );
      }
      if (!existing && body.sha)
        return err(
          422,
          'Invalid request.\n\n"sha" was supplied for a file that does not exist.',
        );
      const { blob, commit } = await commitFile(
        dir,
        branch,
        file,
        Buffer.from(body.content, 'base64'),
        body.message,
        {
          name: body.committer?.name ?? SANDBOX_USER,
          email: body.committer?.email ?? 'sandbox@localhost',
        },
      );
      return json(existing ? 200 : 201, {
        content: { name: file.split('/').pop(), path: file, sha: blob },
        commit: { sha: commit, message: body.message },
      });
    }
    if (req.method === 'DELETE') {
      if (typeof body.message !== 'string')
        return err(422, 'Invalid request.\n\n"message" wasn\'t supplied.');
      if (typeof body.sha !== 'string')
        return err(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
      if (!existing) return notFound();
      if (body.sha !== existing.sha)
        return err(409, `${file} does not match ${body.sha}`);
      const { commit } = await commitFile(
        dir,
        branch,
        file,
        undefined,
        body.message,
        {
          name: body.committer?.name ?? SANDBOX_USER,
          email: body.committer?.email ?? 'sandbox@localhost',
        },
      );
      return json(200, {
        content: null,
        commit: { sha: commit, message: body.message },
      });
    }
    return notFound();
  };
  // GitHub: "If you use this endpoint and the 'Delete a file' endpoint in parallel, the
  // concurrent requests will conflict": the commit that loses the race is refused (409).
  if (rest[0] === 'contents' && rest.length > 1)
    return contents(rest.slice(1).join('/')).catch(e => {
      if (e instanceof BranchMoved) return err(409, e.message);
      throw e;
    });

  const pullRequests = await handlePulls({
    req,
    ctx,
    repo,
    dir,
    rest,
    body,
    login: ctx.github.loginOf(auth)!,
    save,
    renderRepo: () => render(repo, ctx),
  });
  if (pullRequests) return pullRequests;

  if (rest[0] === 'collaborators' && rest[1]) {
    const user = rest[1];
    if (rest[2] === 'permission' && req.method === 'GET') {
      const permission =
        user === SANDBOX_USER ? 'admin' : repo.collaborators[user] ?? 'none';
      return json(200, {
        permission:
          ({ push: 'write', pull: 'read' } as Record<string, string>)[
            permission
          ] ?? permission,
        role_name: permission,
        user: { login: user },
      });
    }
    if (req.method === 'PUT') {
      repo.collaborators[user] = body.permission ?? 'push';
      save();
      return json(201, {
        id: ctx.state.next(),
        invitee: { login: user },
        permissions: repo.collaborators[user],
      });
    }
    if (req.method === 'DELETE') {
      delete repo.collaborators[user];
      save();
      return { status: 204 };
    }
  }

  return notFound();
}
