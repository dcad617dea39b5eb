import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { useSandbox } from '../__testUtils__/sandbox';

const exec = promisify(execFile);
/** Plain git, never prompting for credentials, with an author. */
const git = (cwd: string, ...args: string[]) =>
  exec('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  });

describe('GitHub REST and git smart HTTP', () => {
  const sandbox = useSandbox();
  const gh = () =>
    new Octokit({ baseUrl: sandbox().githubUrl, auth: 'sandbox-token' });

  // Six writes at once, each several git processes: seconds on a busy machine.
  it('refuses a contents write that lost a race for the branch with 409, as GitHub does for parallel writes', async () => {
    const client = gh();
    await client.rest.repos.createInOrg({
      org: 'acme',
      name: 'race',
      auto_init: true,
    });
    const head = async () =>
      (
        await client.rest.repos.getBranch({
          owner: 'acme',
          repo: 'race',
          branch: 'main',
        })
      ).data.commit.sha;
    const initial = await head();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.rest.repos
          .createOrUpdateFileContents({
            owner: 'acme',
            repo: 'race',
            path: `f${i}.txt`,
            message: `f${i}`,
            content: Buffer.from(String(i)).toString('base64'),
          })
          .then(r => ({ i, status: r.status as number, message: '' }))
          .catch(e => ({ i, status: e.status as number, message: e.message })),
      ),
    );
    // Each landed, or was refused in GitHub's words; none failed otherwise.
    expect(
      results.filter(
        r =>
          r.status !== 201 &&
          !(
            r.status === 409 &&
            /^is at \w{40} but expected \w{40}/.test(r.message)
          ),
      ),
    ).toEqual([]);
    // What landed is on the branch; what was refused is not.
    for (const r of results) {
      const found = await client.rest.repos
        .getContent({ owner: 'acme', repo: 'race', path: `f${r.i}.txt` })
        .then(() => true)
        .catch(() => false);
      expect(found).toBe(r.status === 201);
    }
    // A file is read at a commit too (`ref`): not there at the first, there at the head.
    const landed = results.find(r => r.status === 201)!;
    const at = (ref: string) =>
      client.rest.repos
        .getContent({
          owner: 'acme',
          repo: 'race',
          path: `f${landed.i}.txt`,
          ref,
        })
        .then(r => r.status)
        .catch(e => e.status);
    expect(await at(initial)).toBe(404);
    expect(await at(await head())).toBe(200);
  }, 30_000);

  it('requires a token and knows the authenticated user', async () => {
    await expect(
      new Octokit({
        baseUrl: sandbox().githubUrl,
      }).rest.users.getAuthenticated(),
    ).rejects.toMatchObject({ status: 401 });
    expect((await gh().rest.users.getAuthenticated()).data.login).toBe(
      'sandbox-user',
    );
  });

  it('creates repositories in an org and for the user; a second create is 422 "name already exists"', async () => {
    const org = await gh().rest.repos.createInOrg({
      org: 'acme',
      name: 'shop',
      private: true,
      description: 'Shop',
    });
    expect(org.status).toBe(201);
    expect(org.data).toMatchObject({
      full_name: 'acme/shop',
      private: true,
      default_branch: 'main',
      owner: { login: 'acme', type: 'Organization' },
    });
    const mine = await gh().rest.repos.createForAuthenticatedUser({
      name: 'notes',
      auto_init: true,
    });
    expect(mine.data.full_name).toBe('sandbox-user/notes');
    const dup = await gh()
      .rest.repos.createInOrg({ org: 'acme', name: 'shop' })
      .catch(e => e);
    expect(dup.status).toBe(422);
    expect(dup.response.data.errors[0].message).toBe(
      'name already exists on this account',
    );
    await expect(
      gh().rest.repos.get({ owner: 'acme', repo: 'missing' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('pushes with plain git, clones it back, and reads files through the contents API', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-git-'));
    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    await git(src, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(src, 'index.js'), 'console.log("hi")\n');
    await git(src, 'add', '.');
    await git(src, 'commit', '-qm', 'first');
    // Pushing takes a token (GitHub's x-access-token user, or the token as the user name).
    const anonymous = `${sandbox().url}/git/acme/shop.git`;
    const pushed = await git(src, 'push', '-q', anonymous, 'main').catch(
      e => e,
    );
    expect(pushed.stderr).toMatch(/could not read Username|Authentication/);
    const remote = anonymous.replace('://', '://x-access-token:t@');
    await git(src, 'push', '-q', remote, 'main');

    await git(work, 'clone', '-q', remote, 'clone');
    expect(fs.readFileSync(path.join(work, 'clone', 'index.js'), 'utf8')).toBe(
      'console.log("hi")\n',
    );

    const created = await gh().rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'shop',
      path: '.github/CODEOWNERS',
      message: 'owners',
      content: Buffer.from('* @acme/payments\n').toString('base64'),
    });
    expect(created.status).toBe(201);
    const file = await gh().rest.repos.getContent({
      owner: 'acme',
      repo: 'shop',
      path: '.github/CODEOWNERS',
    });
    expect(Buffer.from((file.data as any).content, 'base64').toString()).toBe(
      '* @acme/payments\n',
    );
    await expect(
      gh().rest.repos.createOrUpdateFileContents({
        owner: 'acme',
        repo: 'shop',
        path: '.github/CODEOWNERS',
        message: 'stale',
        content: 'eA==',
        sha: 'deadbeef',
      }),
    ).rejects.toMatchObject({ status: 409 });
    const updated = await gh().rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'shop',
      path: '.github/CODEOWNERS',
      message: 'owners 2',
      content: Buffer.from('* @acme/platform\n').toString('base64'),
      sha: (file.data as any).sha,
    });
    expect(updated.status).toBe(200);

    await git(path.join(work, 'clone'), 'pull', '-q');
    expect(
      fs.readFileSync(
        path.join(work, 'clone', '.github', 'CODEOWNERS'),
        'utf8',
      ),
    ).toBe('* @acme/platform\n');

    // The raw file, as Backstage's GitHub URL reader asks for it.
    const raw = await fetch(
      `${sandbox().githubUrl}/repos/acme/shop/contents/index.js?ref=main`,
      {
        headers: {
          authorization: 'token t',
          accept: 'application/vnd.github.v3.raw',
        },
      },
    );
    expect(await raw.text()).toBe('console.log("hi")\n');
    // The html_url pages: the file list with how to clone, and a file.
    const { data: repo } = await gh().rest.repos.get({
      owner: 'acme',
      repo: 'shop',
    });
    expect(repo.html_url).toBe(`${sandbox().url}/acme/shop`);
    const home = await (await fetch(repo.html_url)).text();
    expect(home).toContain(`git clone ${sandbox().url}/git/acme/shop.git`);
    expect(home).toContain('href="/acme/shop/blob/main/index.js"');
    const blob = await fetch(`${repo.html_url}/blob/main/index.js`);
    expect(await blob.text()).toContain('console.log(&quot;hi&quot;)');
    expect((await fetch(`${repo.html_url}/blob/main/missing.js`)).status).toBe(
      404,
    );
    // A tree, as Backstage's URL reader reads one (TechDocs, templates): the ref's combined
    // status names the commit and the repository's archive link, which redirects to a tarball.
    const { data: combined } = await gh().rest.repos.getCombinedStatusForRef({
      owner: 'acme',
      repo: 'shop',
      ref: 'main',
    });
    const head = (
      await git(path.join(work, 'clone'), 'rev-parse', 'HEAD')
    ).stdout.trim();
    expect(combined).toMatchObject({
      sha: head,
      state: 'pending',
      statuses: [],
    });
    const archiveUrl = combined.repository.archive_url
      .replace('{archive_format}', 'tarball')
      .replace('{/ref}', `/${head}`);
    const redirect = await fetch(archiveUrl, {
      headers: { authorization: 'token t' },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    const tarball = await fetch(archiveUrl, {
      headers: { authorization: 'token t' },
    });
    expect(tarball.headers.get('content-type')).toBe('application/x-gzip');
    fs.writeFileSync(
      path.join(work, 'shop.tar.gz'),
      Buffer.from(await tarball.arrayBuffer()),
    );
    const listed = (await exec('tar', ['-tzf', path.join(work, 'shop.tar.gz')]))
      .stdout;
    expect(listed).toContain(`acme-shop-${head.slice(0, 7)}/index.js`);
    expect(listed).toContain(
      `acme-shop-${head.slice(0, 7)}/.github/CODEOWNERS`,
    );
    await expect(
      gh().rest.repos.getCombinedStatusForRef({
        owner: 'acme',
        repo: 'shop',
        ref: 'no-such-branch',
      }),
    ).rejects.toMatchObject({ status: 422 });

    await expect(
      exec('git', [
        'clone',
        '-q',
        `${sandbox().url}/git/acme/nothing.git`,
        path.join(work, 'x'),
      ]),
    ).rejects.toThrow(/not found|404/i);

    // A file is deleted with the sha it has, in a commit of its own.
    await expect(
      gh().rest.repos.deleteFile({
        owner: 'acme',
        repo: 'shop',
        path: '.github/CODEOWNERS',
        message: 'stale',
        sha: (file.data as any).sha,
      }),
    ).rejects.toMatchObject({ status: 409 });
    const deleted = await gh().rest.repos.deleteFile({
      owner: 'acme',
      repo: 'shop',
      path: '.github/CODEOWNERS',
      message: 'no owners',
      sha: updated.data.content!.sha!,
    });
    expect(deleted.data.commit.message).toBe('no owners');
    await expect(
      gh().rest.repos.getContent({
        owner: 'acme',
        repo: 'shop',
        path: '.github/CODEOWNERS',
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      gh().rest.repos.deleteFile({
        owner: 'acme',
        repo: 'shop',
        path: '.github/CODEOWNERS',
        message: 'again',
        sha: updated.data.content!.sha!,
      }),
    ).rejects.toMatchObject({ status: 404 });
    fs.rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('applies branch protection, security settings, vulnerability alerts, teams and collaborators', async () => {
    await expect(
      gh().rest.repos.getBranchProtection({
        owner: 'acme',
        repo: 'shop',
        branch: 'main',
      }),
    ).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('Branch not protected'),
    });
    await expect(
      gh().rest.repos.updateBranchProtection({
        owner: 'acme',
        repo: 'shop',
        branch: 'nope',
        required_status_checks: null,
        enforce_admins: true,
        required_pull_request_reviews: null,
        restrictions: null,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await gh().rest.repos.updateBranchProtection({
      owner: 'acme',
      repo: 'shop',
      branch: 'main',
      enforce_admins: true,
      restrictions: null,
      allow_force_pushes: false,
      required_status_checks: { strict: true, contexts: ['ci'] },
      required_pull_request_reviews: {
        required_approving_review_count: 2,
        require_code_owner_reviews: true,
      },
    });
    const protection = (
      await gh().rest.repos.getBranchProtection({
        owner: 'acme',
        repo: 'shop',
        branch: 'main',
      })
    ).data;
    expect(protection).toMatchObject({
      required_pull_request_reviews: {
        required_approving_review_count: 2,
        require_code_owner_reviews: true,
      },
      required_status_checks: { strict: true, contexts: ['ci'] },
      allow_force_pushes: { enabled: false },
      enforce_admins: { enabled: true },
    });

    const patched = await gh().rest.repos.update({
      owner: 'acme',
      repo: 'shop',
      security_and_analysis: {
        secret_scanning: { status: 'enabled' },
        secret_scanning_push_protection: { status: 'enabled' },
      },
    });
    expect(patched.data.security_and_analysis).toMatchObject({
      secret_scanning: { status: 'enabled' },
      secret_scanning_push_protection: { status: 'enabled' },
      advanced_security: { status: 'disabled' },
    });
    await expect(
      gh().rest.repos.checkVulnerabilityAlerts({ owner: 'acme', repo: 'shop' }),
    ).rejects.toMatchObject({ status: 404 });
    await gh().rest.repos.enableVulnerabilityAlerts({
      owner: 'acme',
      repo: 'shop',
    });
    expect(
      (
        await gh().rest.repos.checkVulnerabilityAlerts({
          owner: 'acme',
          repo: 'shop',
        })
      ).status,
    ).toBe(204);

    await gh().rest.teams.addOrUpdateRepoPermissionsInOrg({
      org: 'acme',
      team_slug: 'team-a',
      owner: 'acme',
      repo: 'shop',
      permission: 'maintain',
    });
    expect(
      (await gh().rest.repos.listTeams({ owner: 'acme', repo: 'shop' })).data,
    ).toEqual([
      expect.objectContaining({
        slug: 'team-a',
        name: 'Team A',
        permission: 'maintain',
      }),
    ]);
    // A team the organisation does not have, or another organisation's, is not found.
    for (const [org, team_slug] of [
      ['acme', 'payments'],
      ['globex', 'team-a'],
    ]) {
      await expect(
        gh().rest.teams.addOrUpdateRepoPermissionsInOrg({
          org,
          team_slug,
          owner: 'acme',
          repo: 'shop',
          permission: 'maintain',
        }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        gh().rest.teams.getByName({ org, team_slug }),
      ).rejects.toMatchObject({ status: 404 });
    }
    await expect(
      gh().rest.repos.createInOrg({ org: 'globex', name: 'shop' }),
    ).rejects.toMatchObject({ status: 404 });
    expect(
      (await gh().rest.teams.getByName({ org: 'acme', team_slug: 'team-a' }))
        .data,
    ).toMatchObject({ slug: 'team-a', name: 'Team A', privacy: 'closed' });
    await gh().rest.repos.addCollaborator({
      owner: 'acme',
      repo: 'shop',
      username: 'alice',
      permission: 'push',
    });
    expect(
      (
        await gh().rest.repos.getCollaboratorPermissionLevel({
          owner: 'acme',
          repo: 'shop',
          username: 'alice',
        })
      ).data.permission,
    ).toBe('write');
    expect(
      (
        await gh().rest.repos.getCollaboratorPermissionLevel({
          owner: 'acme',
          repo: 'shop',
          username: 'bob',
        })
      ).data.permission,
    ).toBe('none');
  });

  it('enforces branch protection on push, reads private repositories only with a token, and makes public the default', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-git-'));
    const url = (repo: string, token?: string) =>
      `${sandbox().url.replace(
        '://',
        token ? `://x-access-token:${token}@` : '://',
      )}/git/${repo}.git`;

    // acme/shop is private: no clone without a token.
    await expect(
      git(work, 'clone', '-q', url('acme/shop'), 'anon'),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/Username/) });
    await git(work, 'clone', '-q', url('acme/shop', 't'), 'shop');
    const shop = path.join(work, 'shop');
    fs.writeFileSync(path.join(shop, 'change.txt'), 'x\n');
    await git(shop, 'add', '.');
    await git(shop, 'commit', '-qm', 'direct');
    // Its main requires reviews, for admins too: a direct push is refused as GitHub refuses it.
    const refused = await git(shop, 'push', 'origin', 'main').catch(e => e);
    expect(refused.stderr).toContain(
      'GH006: Protected branch update failed for refs/heads/main.',
    );
    expect(refused.stderr).toContain(
      'Changes must be made through a pull request.',
    );
    await git(shop, 'push', '-q', 'origin', 'main:feature');

    // sandbox-user/notes was created without a visibility: public, as on GitHub.
    const { data: notes } = await gh().rest.repos.get({
      owner: 'sandbox-user',
      repo: 'notes',
    });
    expect(notes.private).toBe(false);
    await git(work, 'clone', '-q', url('sandbox-user/notes'), 'notes');
    const dir = path.join(work, 'notes');
    // Protection that does not bind admins lets the repository's admin through...
    const protect = (enforce: boolean) =>
      gh().rest.repos.updateBranchProtection({
        owner: 'sandbox-user',
        repo: 'notes',
        branch: 'main',
        enforce_admins: enforce,
        restrictions: null,
        allow_force_pushes: false,
        required_status_checks: null,
        required_pull_request_reviews: null,
      });
    await protect(false);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    await git(dir, 'add', '.');
    await git(dir, 'commit', '-qm', 'a');
    await git(dir, 'push', '-q', url('sandbox-user/notes', 't'), 'main');
    // ...and once it does, a rewritten history is refused.
    await protect(true);
    await git(dir, 'commit', '-q', '--amend', '-m', 'rewritten');
    const forced = await git(
      dir,
      'push',
      '--force',
      url('sandbox-user/notes', 't'),
      'main',
    ).catch(e => e);
    expect(forced.stderr).toContain('Cannot force-push to this branch');
    fs.rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('refuses contents API commits to a branch that requires reviews, as it refuses pushes: 409, through a pull request', async () => {
    await gh().rest.repos.createForAuthenticatedUser({
      name: 'reviewed',
      auto_init: true,
    });
    const protect = (enforce: boolean) =>
      gh().rest.repos.updateBranchProtection({
        owner: 'sandbox-user',
        repo: 'reviewed',
        branch: 'main',
        enforce_admins: enforce,
        restrictions: null,
        required_status_checks: null,
        required_pull_request_reviews: { required_approving_review_count: 1 },
      });
    const write = (name: string) =>
      gh().rest.repos.createOrUpdateFileContents({
        owner: 'sandbox-user',
        repo: 'reviewed',
        path: name,
        message: name,
        content: Buffer.from(name).toString('base64'),
      });
    // Admins not included: the repository's admin commits.
    await protect(false);
    await expect(write('admin.txt')).resolves.toMatchObject({ status: 201 });
    // Included: nobody commits to main but through a pull request; another branch takes it.
    await protect(true);
    await expect(write('direct.txt')).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining(
        'Changes must be made through a pull request.',
      ),
    });
    const readme = await gh().rest.repos.getContent({
      owner: 'sandbox-user',
      repo: 'reviewed',
      path: 'README.md',
    });
    await expect(
      gh().rest.repos.deleteFile({
        owner: 'sandbox-user',
        repo: 'reviewed',
        path: 'README.md',
        message: 'remove',
        sha: (readme.data as { sha: string }).sha,
      }),
    ).rejects.toMatchObject({ status: 409 });
  });
});
