import fs from 'node:fs';
import type { SandboxContext, SandboxRequest, SandboxResponse } from '../types';
import { commitOf, git, readFile, repoDir, tarball } from './git';

const escape = (s: string) =>
  s.replace(
    /[&<>"]/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!),
  );

const page = (title: string, body: string): SandboxResponse => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${escape(
    title,
  )}</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}pre{background:#f4f4f4;padding:1em;overflow:auto}</style></head><body>${body}</body></html>`,
});

/** A person's avatar (their users' `avatar_url`): their initial on a colour of their own. */
function avatarOf(login: string): SandboxResponse {
  const hue =
    [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 0) || 200;
  return {
    status: 200,
    headers: { 'content-type': 'image/svg+xml' },
    body: `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96"><rect width="96" height="96" fill="hsl(${hue},55%,45%)"/><text x="48" y="62" font-family="sans-serif" font-size="44" fill="#fff" text-anchor="middle">${escape(
      login.charAt(0).toUpperCase(),
    )}</text></svg>`,
  };
}

/** A commit's tarball, its files under `{owner}-{repo}-{short sha}/` as GitHub names them. */
async function codeload(
  ctx: SandboxContext,
  owner: string,
  name: string,
  sha: string,
): Promise<SandboxResponse | undefined> {
  const dir = repoDir(ctx, owner, name);
  if (!fs.existsSync(dir) || (await commitOf(dir, sha)) !== sha)
    return undefined;
  return {
    status: 200,
    headers: {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${owner}-${name}-${sha.slice(
        0,
        7,
      )}.tar.gz`,
    },
    body: await tarball(dir, sha, `${owner}-${name}-${sha.slice(0, 7)}`),
  };
}

/**
 * GitHub's web pages, as far as links need them: `/{owner}/{repo}` (the files of the default
 * branch and how to clone) and `/{owner}/{repo}/blob/{branch}/{path}` (one file). These are the
 * repositories' `html_url`s, so the portal's links open something, and Backstage's GitHub URL
 * reader parses them like github.com URLs; people's avatars; and commits' tarballs
 * (`/codeload/...`, where the API's archive links redirect). Undefined for any other path.
 */
export async function handleGithubWeb(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse | undefined> {
  if (req.method !== 'GET') return undefined;
  const avatar = /^\/avatars\/([A-Za-z0-9-]+)\.svg$/.exec(req.path);
  if (avatar) return avatarOf(avatar[1]);
  const archive =
    /^\/codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(
      req.path,
    );
  if (archive) return codeload(ctx, archive[1], archive[2], archive[3]);
  const [owner, name, kind, branch, ...rest] = req.path
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  if (!owner || !name || (kind && kind !== 'blob')) return undefined;
  const dir = repoDir(ctx, owner, name);
  if (!fs.existsSync(dir)) return undefined;
  const full = `${escape(owner)}/${escape(name)}`;
  if (kind === 'blob' && branch && rest.length) {
    const file = await readFile(dir, branch, rest.join('/'));
    if (!file) return undefined;
    return page(
      `${rest.join('/')} · ${owner}/${name}`,
      `<h1><a href="/${full}">${full}</a> / ${escape(
        rest.join('/'),
      )}</h1><pre>${escape(file.content.toString('utf8'))}</pre>`,
    );
  }
  const head = await git(dir, ['symbolic-ref', '--short', 'HEAD']);
  const files = await git(dir, [
    'ls-tree',
    '-r',
    '--name-only',
    `refs/heads/${head}`,
  ]).catch(() => '');
  const list = files
    .split('\n')
    .filter(Boolean)
    .map(
      f =>
        `<li><a href="/${full}/blob/${escape(head)}/${escape(f)}">${escape(
          f,
        )}</a></li>`,
    )
    .join('');
  return page(
    `${owner}/${name}`,
    `<h1>${full}</h1><p>Clone it: <code>git clone ${escape(
      ctx.url,
    )}/git/${full}.git</code></p>${
      list
        ? `<h2>${escape(head)}</h2><ul>${list}</ul>`
        : '<p>Empty repository.</p>'
    }`,
  );
}
