import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  json,
} from '../types';
import {
  BranchMoved,
  branchHead,
  createBranch,
  deleteBranch,
  mergeBranches,
} from './git';
import { SANDBOX_USER } from './identity';
import { on } from './pushRules';
import type { Repo } from './index';
import { err, invalid, notFound } from './responses';

type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';

/** A pull request as the sandbox keeps it; its head's commit is read from git while it is open. */
export interface PullRequest {
  number: number;
  title: string;
  body?: string;
  head: string;
  base: string;
  user: string;
  state: 'open' | 'closed';
  createdAt: number;
  closedAt?: number;
  /** Set when merged: the commit the merge made on `base`, who merged it, and the head's commit. */
  merged?: { sha: string; by: string; at: number; headSha: string };
  reviews: { id: number; user: string; state: ReviewState; body?: string }[];
}

const EVENTS: Record<string, ReviewState> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
};
const WRITE = ['push', 'maintain', 'admin'];

/**
 * Pull requests and branch refs of one repository, as GitHub's REST API serves them:
 * `git/refs` (create and delete a branch), `pulls` (create, list by state, head and base, get,
 * update, close), `pulls/{n}/reviews` (approve, request changes, comment; never on one's own) and
 * `pulls/{n}/merge` (a merge commit or a squash, refused while the base branch's protection wants
 * more approving reviews from people with write access than it has, unless an admin merges and
 * admins are not included). Undefined for another path.
 */
export async function handlePulls(args: {
  req: SandboxRequest;
  ctx: SandboxContext;
  repo: Repo;
  dir: string;
  rest: string[];
  body: any;
  login: string;
  save: () => void;
  renderRepo: () => object;
}): Promise<SandboxResponse | undefined> {
  const { req, ctx, repo, dir, rest, body, login, save } = args;
  const api = `${ctx.url}/github/repos/${repo.owner}/${repo.name}`;
  const web = `${ctx.url}/${repo.owner}/${repo.name}`;
  const pulls = (repo.pulls ??= []);

  const mayWrite = (user: string) => {
    if (user === SANDBOX_USER) return true;
    if (WRITE.includes(repo.collaborators[user] ?? '')) return true;
    const teams = ctx.github.member(user)?.teams ?? [];
    return teams.some(t => WRITE.includes(repo.teams[t] ?? ''));
  };
  const isAdmin = (user: string) =>
    user === SANDBOX_USER ||
    repo.collaborators[user] === 'admin' ||
    (ctx.github.member(user)?.teams ?? []).some(t => repo.teams[t] === 'admin');
  /** Each reviewer's latest approval or change request, as GitHub counts them. */
  const verdicts = (pr: PullRequest) => {
    const last = new Map<string, ReviewState>();
    for (const r of pr.reviews)
      if (r.state !== 'COMMENTED') last.set(r.user, r.state);
    return last;
  };
  const approvals = (pr: PullRequest) =>
    [...verdicts(pr)].filter(([u, s]) => s === 'APPROVED' && mayWrite(u))
      .length;

  const render = async (pr: PullRequest) => {
    const headSha = pr.merged?.headSha ?? (await branchHead(dir, pr.head));
    const baseSha = await branchHead(dir, pr.base);
    const side = (ref: string, sha?: string) => ({
      label: `${repo.owner}:${ref}`,
      ref,
      sha: sha ?? null,
      repo: args.renderRepo(),
    });
    const user = (l: string) => ({ login: l, type: 'User' });
    return {
      url: `${api}/pulls/${pr.number}`,
      id: pr.number,
      number: pr.number,
      html_url: `${web}/pull/${pr.number}`,
      state: pr.state,
      title: pr.title,
      body: pr.body ?? null,
      draft: false,
      user: user(pr.user),
      head: side(pr.head, headSha),
      base: side(pr.base, baseSha),
      merged: !!pr.merged,
      merged_by: pr.merged ? user(pr.merged.by) : null,
      merged_at: pr.merged ? new Date(pr.merged.at).toISOString() : null,
      merge_commit_sha: pr.merged?.sha ?? null,
      created_at: new Date(pr.createdAt).toISOString(),
      closed_at: pr.closedAt ? new Date(pr.closedAt).toISOString() : null,
    };
  };
  const find = (n: string) => pulls.find(p => String(p.number) === n);

  // Branch refs: what a client creates before it commits to a new branch.
  if (rest[0] === 'git' && rest[1] === 'refs') {
    if (req.method === 'POST' && rest.length === 2) {
      const ref = String(body.ref ?? '');
      const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
      if (!branch || typeof body.sha !== 'string')
        return err(422, 'Reference update failed');
      if (await branchHead(dir, branch))
        return err(422, 'Reference already exists');
      if (!(await createBranch(dir, branch, body.sha)))
        return err(422, 'Object does not exist');
      return json(201, {
        ref,
        url: `${api}/git/refs/heads/${branch}`,
        object: {
          type: 'commit',
          sha: body.sha,
          url: `${api}/git/commits/${body.sha}`,
        },
      });
    }
    if (req.method === 'DELETE' && rest[2] === 'heads' && rest[3]) {
      const branch = rest.slice(3).join('/');
      if (repo.protection[branch])
        return err(422, 'Cannot delete this protected branch');
      return (await deleteBranch(dir, branch))
        ? { status: 204 }
        : err(422, 'Reference does not exist');
    }
    return notFound();
  }

  if (rest[0] !== 'pulls') return undefined;

  if (rest.length === 1 && req.method === 'GET') {
    const state = req.query.get('state') ?? 'open';
    const head = req.query.get('head');
    const base = req.query.get('base');
    const perPage = Math.min(Number(req.query.get('per_page') ?? 30), 100);
    const page = Math.max(Number(req.query.get('page') ?? 1), 1);
    const selected = pulls
      .filter(p => state === 'all' || p.state === state)
      .filter(p => !head || head === `${repo.owner}:${p.head}`)
      .filter(p => !base || base === p.base)
      .sort((a, b) => b.number - a.number)
      .slice((page - 1) * perPage, page * perPage);
    return json(200, await Promise.all(selected.map(render)));
  }

  if (rest.length === 1 && req.method === 'POST') {
    if (typeof body.title !== 'string' || !body.title)
      return invalid([
        { resource: 'PullRequest', field: 'title', code: 'missing_field' },
      ]);
    const head = String(body.head ?? '').replace(
      new RegExp(`^${repo.owner}:`, 'i'),
      '',
    );
    const base = String(body.base ?? '');
    const [headSha, baseSha] = [
      await branchHead(dir, head),
      await branchHead(dir, base),
    ];
    if (!baseSha)
      return invalid([
        { resource: 'PullRequest', field: 'base', code: 'invalid' },
      ]);
    if (!headSha)
      return invalid([
        { resource: 'PullRequest', field: 'head', code: 'invalid' },
      ]);
    if (
      pulls.some(p => p.state === 'open' && p.head === head && p.base === base)
    )
      return invalid([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        },
      ]);
    if (headSha === baseSha)
      return invalid([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `No commits between ${base} and ${head}`,
        },
      ]);
    const pr: PullRequest = {
      number: pulls.reduce((n, p) => Math.max(n, p.number), 0) + 1,
      title: body.title,
      body: typeof body.body === 'string' ? body.body : undefined,
      head,
      base,
      user: login,
      state: 'open',
      createdAt: Date.now(),
      reviews: [],
    };
    pulls.push(pr);
    save();
    return json(201, await render(pr));
  }

  const pr = rest[1] ? find(rest[1]) : undefined;
  if (!pr) return notFound();

  if (rest.length === 2 && req.method === 'GET')
    return json(200, await render(pr));
  if (rest.length === 2 && req.method === 'PATCH') {
    if (pr.merged && body.state === 'open')
      return invalid([
        {
          resource: 'PullRequest',
          code: 'custom',
          message:
            'state cannot be changed. The pull request cannot be reopened.',
        },
      ]);
    if (typeof body.title === 'string') pr.title = body.title;
    if (typeof body.body === 'string') pr.body = body.body;
    if (body.state === 'closed' && pr.state === 'open') {
      pr.state = 'closed';
      pr.closedAt = Date.now();
    } else if (body.state === 'open') {
      pr.state = 'open';
      pr.closedAt = undefined;
    }
    save();
    return json(200, await render(pr));
  }

  if (rest[2] === 'reviews' && rest.length === 3) {
    if (req.method === 'GET')
      return json(
        200,
        pr.reviews.map(r => ({
          id: r.id,
          user: { login: r.user },
          state: r.state,
          body: r.body ?? '',
        })),
      );
    if (req.method !== 'POST') return notFound();
    const state = EVENTS[String(body.event)];
    if (!state)
      return invalid(
        [{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }],
        'Unprocessable Entity',
      );
    if (pr.state !== 'open')
      return invalid(
        ['Can not review a closed pull request'],
        'Unprocessable Entity',
      );
    if (login === pr.user && state !== 'COMMENTED')
      return invalid(
        [
          state === 'APPROVED'
            ? 'Can not approve your own pull request'
            : 'Can not request changes on your own pull request',
        ],
        'Unprocessable Entity',
      );
    const review = {
      id: ctx.state.next(),
      user: login,
      state,
      body: typeof body.body === 'string' ? body.body : undefined,
    };
    pr.reviews.push(review);
    save();
    return json(200, { ...review, user: { login }, body: review.body ?? '' });
  }

  if (rest[2] === 'merge' && rest.length === 3) {
    if (req.method === 'GET') return pr.merged ? { status: 204 } : notFound();
    if (req.method !== 'PUT') return notFound();
    if (pr.state !== 'open') return err(405, 'Pull Request is not mergeable');
    if (!mayWrite(login))
      return err(403, 'Must have write access to merge pull requests');
    const headSha = await branchHead(dir, pr.head);
    if (body.sha && body.sha !== headSha)
      return err(
        409,
        'Head branch was modified. Review and try the merge again.',
      );
    const rule = repo.protection[pr.base]?.required_pull_request_reviews;
    if (rule) {
      const needed = rule.required_approving_review_count ?? 1;
      const bypass =
        isAdmin(login) && !on(repo.protection[pr.base].enforce_admins);
      if (!bypass && [...verdicts(pr).values()].includes('CHANGES_REQUESTED'))
        return err(405, 'Pull Request is not mergeable');
      if (!bypass && approvals(pr) < needed)
        return err(
          405,
          `At least ${needed} approving review${
            needed === 1 ? ' is' : 's are'
          } required by reviewers with write access.`,
        );
    }
    const method = body.merge_method ?? 'merge';
    if (method !== 'merge' && method !== 'squash')
      return invalid([
        { resource: 'PullRequest', field: 'merge_method', code: 'invalid' },
      ]);
    const member = ctx.github.member(login);
    const title =
      body.commit_title ??
      (method === 'merge'
        ? `Merge pull request #${pr.number} from ${repo.owner}/${pr.head}`
        : `${pr.title} (#${pr.number})`);
    const sha = await mergeBranches(dir, pr.base, pr.head, {
      method,
      message: [
        title,
        body.commit_message ?? (method === 'merge' ? pr.title : ''),
      ]
        .filter(Boolean)
        .join('\n\n'),
      author: {
        name: member?.name ?? 'Sandbox User',
        email: member?.email ?? 'sandbox@localhost',
      },
    }).catch(e => {
      if (e instanceof BranchMoved) return undefined;
      throw e;
    });
    if (!sha) return err(405, 'Pull Request is not mergeable');
    pr.merged = { sha, by: login, at: Date.now(), headSha: headSha! };
    pr.state = 'closed';
    pr.closedAt = pr.merged.at;
    if (repo.settings.delete_branch_on_merge) await deleteBranch(dir, pr.head);
    save();
    return json(200, {
      sha,
      merged: true,
      message: 'Pull Request successfully merged',
    });
  }
  return notFound();
}
