import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SandboxContext } from '../types';
import { installPushRules } from './pushRules';

const exec = promisify(execFile);

/** Runs git in a bare repository and returns its trimmed stdout. */
export async function git(
  dir: string,
  args: string[],
  opts: { input?: Buffer; env?: Record<string, string> } = {},
): Promise<string> {
  if (opts.input) {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: dir,
        env: { ...process.env, ...opts.env },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', c => out.push(c));
      child.stderr.on('data', c => err.push(c));
      child.on('error', reject);
      child.on('close', code =>
        code === 0
          ? resolve(Buffer.concat(out).toString().trim())
          : reject(new Error(Buffer.concat(err).toString())),
      );
      child.stdin.end(opts.input);
    });
  }
  const { stdout } = await exec('git', args, {
    cwd: dir,
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

export const repoDir = (ctx: SandboxContext, owner: string, name: string) =>
  path.join(ctx.gitRoot, owner.toLowerCase(), `${name.toLowerCase()}.git`);

/** Creates the bare repository behind a GitHub repository, accepting pushes over HTTP. */
export async function initBareRepo(dir: string, defaultBranch: string) {
  fs.mkdirSync(dir, { recursive: true });
  await git(dir, [
    'init',
    '--bare',
    '--quiet',
    `--initial-branch=${defaultBranch}`,
  ]);
  await git(dir, ['config', 'http.receivepack', 'true']);
  installPushRules(dir);
}

/** The commit a branch points at, or undefined. */
export async function branchHead(
  dir: string,
  branch: string,
): Promise<string | undefined> {
  try {
    return await git(dir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}`,
    ]);
  } catch {
    return undefined;
  }
}

/** The commit a ref (branch, tag or commit sha) names, or undefined. */
export async function commitOf(
  dir: string,
  ref: string,
): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  try {
    return await git(dir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `${ref}^{commit}`,
    ]);
  } catch {
    return undefined;
  }
}

/** A gzipped tarball of a commit, its files under `prefix/`, as GitHub's archive links serve it. */
export async function tarball(dir: string, sha: string, prefix: string) {
  const { stdout } = await exec(
    'git',
    ['archive', '--format=tar.gz', `--prefix=${prefix}/`, sha],
    { cwd: dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout as unknown as Buffer;
}

/**
 * The blob sha and content of a file at `ref` (a branch, a tag or a commit's full sha, as the
 * contents API's `ref` takes them), or undefined.
 */
export async function readFile(
  dir: string,
  ref: string,
  file: string,
): Promise<{ sha: string; content: Buffer } | undefined> {
  const commit = /^[0-9a-f]{40}$/.test(ref)
    ? await commitOf(dir, ref)
    : (await branchHead(dir, ref)) ?? (await commitOf(dir, `refs/tags/${ref}`));
  if (!commit) return undefined;
  try {
    const sha = await git(dir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `${commit}:${file}`,
    ]);
    const { stdout } = await exec('git', ['cat-file', 'blob', sha], {
      cwd: dir,
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { sha, content: stdout as unknown as Buffer };
  } catch {
    return undefined;
  }
}

/** A branch that moved between reading its head and updating it (concurrent commits). */
export class BranchMoved extends Error {}

/**
 * Commits one file (or its removal, `content` undefined) onto a branch with git plumbing (no work
 * tree), returning the new shas.
 */
export async function commitFile(
  dir: string,
  branch: string,
  file: string,
  content: Buffer | undefined,
  message: string,
  author: { name: string; email: string },
) {
  const parent = await branchHead(dir, branch);
  const blob =
    content &&
    (await git(dir, ['hash-object', '-w', '--stdin'], {
      input: content,
    }));
  const index = path.join(dir, `index-${process.pid}-${Date.now()}`);
  const env = {
    GIT_INDEX_FILE: index,
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  try {
    if (parent) await git(dir, ['read-tree', parent], { env });
    if (blob)
      await git(
        dir,
        ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`],
        { env },
      );
    // A removal is an index entry of mode 0 (no work tree in a bare repository).
    else
      await git(dir, ['update-index', '--index-info'], {
        env,
        input: Buffer.from(`0 ${'0'.repeat(40)}\t${file}\n`),
      });
    const tree = await git(dir, ['write-tree'], { env });
    const commit = await git(
      dir,
      ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message],
      { env },
    );
    // Compare-and-swap: a commit made meanwhile on the branch wins, this one is refused.
    await git(dir, [
      'update-ref',
      `refs/heads/${branch}`,
      commit,
      ...(parent ? [parent] : []),
    ]).catch(async e => {
      const now = await branchHead(dir, branch);
      if (now !== parent)
        throw new BranchMoved(
          `is at ${now} but expected ${parent ?? '0'.repeat(40)}`,
        );
      throw e;
    });
    return { blob, commit };
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/**
 * Who a git request authenticates as: HTTP Basic credentials whose password (or, without one,
 * user name) is a token, as GitHub takes them; undefined without credentials.
 */
function gitLogin(
  ctx: SandboxContext,
  authorization: string | undefined,
): string | undefined {
  const m = /^Basic (\S+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const [user, password] =
    i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)];
  const token = password || user;
  return token ? ctx.github.loginOf(`token ${token}`) : undefined;
}

/**
 * git smart HTTP (`/git/{owner}/{repo}.git/...`) through `git http-backend`, so the repositories
 * can be pushed to and cloned with plain git.
 */
export async function handleGitHttp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  ctx: SandboxContext,
) {
  const m = /^\/git\/([^/]+)\/([^/]+?)(?:\.git)?(\/.*)$/.exec(url.pathname);
  const dir = m && repoDir(ctx, m[1], m[2]);
  if (!m || !dir || !fs.existsSync(dir)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Repository not found.\n');
    return;
  }
  // Pushing needs credentials (a token as the password, or as the user name), and so does
  // reading a private repository; git is asked for them with GitHub's Basic challenge.
  const login = gitLogin(ctx, req.headers.authorization);
  const pushing =
    m[3] === '/git-receive-pack' ||
    url.searchParams.get('service') === 'git-receive-pack';
  const repo = ctx.state.get<{ private: boolean }>(
    'github',
    'repo',
    `${m[1]}/${m[2]}`.toLowerCase(),
  );
  if (!login && (pushing || repo?.data.private !== false)) {
    res.writeHead(401, {
      'content-type': 'text/plain',
      'www-authenticate': 'Basic realm="GitHub"',
    });
    res.end('Authentication required.\n');
    return;
  }
  const outcome = await ctx.fault('github', 'git');
  if (outcome.error) {
    res.writeHead(outcome.error === 'throttle' ? 429 : 500, {
      'content-type': 'text/plain',
    });
    res.end('sandbox fault injection\n');
    return;
  }
  const child = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      GIT_PROJECT_ROOT: path.dirname(path.dirname(dir)),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${path.basename(path.dirname(dir))}/${path.basename(dir)}${
        m[3]
      }`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_USER: login,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    },
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => {
    if (!headersDone) res.writeHead(500).end('git http-backend failed\n');
    else res.end();
  });
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500).end('git is not available\n');
  });
}

/**
 * Points a new branch at `sha` (a commit of the repository); false when the branch exists or the
 * commit does not.
 */
export async function createBranch(dir: string, branch: string, sha: string) {
  if (!(await commitOf(dir, sha))) return false;
  // `update-ref` with an all-zero old value creates the ref only where there is none.
  return git(dir, ['update-ref', `refs/heads/${branch}`, sha, '0'.repeat(40)])
    .then(() => true)
    .catch(() => false);
}

/** Deletes a branch; false when it does not exist. */
export async function deleteBranch(dir: string, branch: string) {
  const head = await branchHead(dir, branch);
  if (!head) return false;
  await git(dir, ['update-ref', '-d', `refs/heads/${branch}`, head]);
  return true;
}

/**
 * Merges branch `head` into `base` as GitHub's merge button does: a merge commit with both as
 * parents, or a squash (one commit of the merged tree on `base`). Returns the new commit of
 * `base`, or undefined when the two conflict (git's own three-way merge decides).
 */
export async function mergeBranches(
  dir: string,
  base: string,
  head: string,
  how: {
    method: 'merge' | 'squash';
    message: string;
    author: { name: string; email: string };
  },
): Promise<string | undefined> {
  const [baseSha, headSha] = [
    await branchHead(dir, base),
    await branchHead(dir, head),
  ];
  if (!baseSha || !headSha) return undefined;
  const tree = await git(dir, [
    'merge-tree',
    '--write-tree',
    baseSha,
    headSha,
  ]).catch(() => undefined);
  if (!tree) return undefined;
  const env = {
    GIT_AUTHOR_NAME: how.author.name,
    GIT_AUTHOR_EMAIL: how.author.email,
    GIT_COMMITTER_NAME: 'GitHub',
    GIT_COMMITTER_EMAIL: 'noreply@github.com',
  };
  const parents =
    how.method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
  const commit = await git(
    dir,
    ['commit-tree', tree.split('\n')[0], ...parents, '-m', how.message],
    { env },
  );
  await git(dir, ['update-ref', `refs/heads/${base}`, commit, baseSha]).catch(
    () => {
      throw new BranchMoved(`${base} moved while merging`);
    },
  );
  return commit;
}
