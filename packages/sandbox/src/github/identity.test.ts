import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { request } from '@octokit/request';
import { graphql } from '@octokit/graphql';
import { Octokit } from '@octokit/rest';
import { useSandbox } from '../__testUtils__/sandbox';
import { DEFAULT_OAUTH_APP, redirectFor } from './identity';

describe("GitHub's OAuth web flow and organisation", () => {
  const sandbox = useSandbox();
  const callback = 'http://localhost:7007/api/auth/github/handler/frame';

  /** Opens the authorize page as a browser would, chooses `login`, returns the redirect. */
  async function signInAs(
    login: string,
    clientId = DEFAULT_OAUTH_APP.clientId,
    redirectUri = callback,
  ) {
    const authorize = `${
      sandbox().url
    }/login/oauth/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'read:user',
      state: 'nonce-123',
    })}`;
    const page = await fetch(authorize);
    const html = await page.text();
    const link = [...html.matchAll(/href="([^"]+)"/g)]
      .map(m => m[1].replace(/&amp;/g, '&'))
      .find(href => href.includes(`login=${login}`));
    if (!link) return { status: page.status, html };
    const chosen = await fetch(`${sandbox().url}${link}`, {
      redirect: 'manual',
    });
    return {
      status: chosen.status,
      location: new URL(chosen.headers.get('location')!),
      html,
    };
  }

  const ghe = () => request.defaults({ baseUrl: `${sandbox().url}/api/v3` });

  it('offers every member on the authorize page and redirects back with a code and the state', async () => {
    const { html, status, location } = await signInAs('alice');
    for (const name of ['Alice Andersen', 'Bob Baptiste', 'Carol Chen'])
      expect(html).toContain(name);
    expect(status).toBe(302);
    expect(`${location!.origin}${location!.pathname}`).toBe(callback);
    expect(location!.searchParams.get('state')).toBe('nonce-123');
    expect(location!.searchParams.get('code')).toMatch(/^[0-9a-f]{20}$/);
  });

  it('exchanges a code once for a token that authenticates as the member, through Octokit', async () => {
    const { location } = await signInAs('bob');
    const code = location!.searchParams.get('code')!;
    const { authentication } = await exchangeWebFlowCode({
      clientType: 'oauth-app',
      clientId: DEFAULT_OAUTH_APP.clientId,
      clientSecret: DEFAULT_OAUTH_APP.clientSecret,
      code,
      redirectUrl: callback,
      request: ghe(),
    });
    expect(authentication.token).toMatch(/^gho_/);
    expect(authentication.scopes).toEqual(['read:user']);
    const me = await new Octokit({
      baseUrl: `${sandbox().url}/api/v3`,
      auth: authentication.token,
    }).rest.users.getAuthenticated();
    expect(me.data).toMatchObject({
      login: 'bob',
      name: 'Bob Baptiste',
      email: 'bob@acme.example',
    });
    const avatar = await fetch(me.data.avatar_url);
    expect(avatar.headers.get('content-type')).toBe('image/svg+xml');
    expect(await avatar.text()).toContain('>B</text>');
    // A code works once.
    await expect(
      exchangeWebFlowCode({
        clientType: 'oauth-app',
        clientId: DEFAULT_OAUTH_APP.clientId,
        clientSecret: DEFAULT_OAUTH_APP.clientSecret,
        code,
        request: ghe(),
      }),
    ).rejects.toThrow(/bad_verification_code/);
  });

  it('refuses a wrong client secret, another callback and an unknown app', async () => {
    const { location } = await signInAs('carol');
    const code = location!.searchParams.get('code')!;
    await expect(
      exchangeWebFlowCode({
        clientType: 'oauth-app',
        clientId: DEFAULT_OAUTH_APP.clientId,
        clientSecret: 'guess',
        code,
        request: ghe(),
      }),
    ).rejects.toThrow(/incorrect_client_credentials/);
    const again = await signInAs('carol');
    await expect(
      exchangeWebFlowCode({
        clientType: 'oauth-app',
        clientId: DEFAULT_OAUTH_APP.clientId,
        clientSecret: DEFAULT_OAUTH_APP.clientSecret,
        code: again.location!.searchParams.get('code')!,
        redirectUrl: 'http://evil.example/callback',
        request: ghe(),
      }),
    ).rejects.toThrow(/redirect_uri_mismatch/);
    expect((await signInAs('alice', 'unknown-app')).status).toBe(404);
  });

  it('sends a redirect_uri that does not match the callback URL back to the callback, with the error', async () => {
    for (const elsewhere of [
      'http://evil.example/api/auth/github/handler/frame',
      'http://localhost:7007/api/auth/gitlab/handler/frame',
      'not a url',
    ]) {
      const page = await fetch(
        `${sandbox().url}/login/oauth/authorize?${new URLSearchParams({
          client_id: DEFAULT_OAUTH_APP.clientId,
          redirect_uri: elsewhere,
          state: 'nonce-9',
        })}`,
        { redirect: 'manual' },
      );
      expect(page.status).toBe(302);
      const location = new URL(page.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(callback);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({
        error: 'redirect_uri_mismatch',
        state: 'nonce-9',
      });
    }
    // A loopback callback takes any port (the e2e portal's), as GitHub's loopback redirects.
    const e2e = 'http://localhost:7107/api/auth/github/handler/frame';
    const { location } = await signInAs('alice', undefined, e2e);
    expect(`${location!.origin}${location!.pathname}`).toBe(e2e);
  });

  it("matches redirect URLs by GitHub's documented examples", () => {
    const app = {
      ...DEFAULT_OAUTH_APP,
      callbackUrl: 'http://example.com/path',
    };
    const good = [
      'http://example.com/path',
      'http://example.com/path/subdir/other',
      'http://oauth.example.com/path',
      'http://oauth.example.com/path/subdir/other',
    ];
    const bad = [
      'http://example.com/bar',
      'http://example.com/',
      'http://example.com:8080/path',
      'http://oauth.example.com:8080/path',
      'http://example.org',
      'http://example.com/pathology',
    ];
    expect(good.filter(u => !redirectFor(app, u))).toEqual([]);
    expect(bad.filter(u => redirectFor(app, u))).toEqual([]);
    expect(redirectFor(app, undefined)?.toString()).toBe(
      'http://example.com/path',
    );
  });

  it("serves the organisation's members and teams over GraphQL, paged as GitHub pages them", async () => {
    const client = graphql.defaults({
      baseUrl: sandbox().githubUrl,
      headers: { authorization: 'token sandbox-token' },
    });
    const members: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: any = await client(
        `query ($org: String!, $cursor: String) {
          organization(login: $org) {
            membersWithRole(first: 2, after: $cursor) {
              pageInfo { hasNextPage endCursor }
              nodes { login name email organizationVerifiedDomainEmails(login: $org) }
            }
          }
        }`,
        { org: 'acme', cursor },
      );
      const connection = page.organization.membersWithRole;
      members.push(...connection.nodes.map((n: any) => n.login));
      if (!connection.pageInfo.hasNextPage) break;
      cursor = connection.pageInfo.endCursor;
    }
    expect(members).toEqual(['alice', 'bob', 'carol']);

    const { organization }: any = await client(
      `query {
        organization(login: "acme") {
          teams(first: 10) {
            nodes {
              slug combinedSlug name
              members(first: 10, membership: IMMEDIATE) { nodes { login } }
            }
          }
        }
      }`,
    );
    expect(
      organization.teams.nodes.map((t: any) => [
        t.combinedSlug,
        t.members.nodes.map((m: any) => m.login),
      ]),
    ).toEqual([
      ['acme/team-a', ['alice']],
      ['acme/team-b', ['bob']],
      ['acme/platform-admins', ['carol']],
      ['acme/template-authors', ['alice']],
      ['acme/guests', []],
    ]);
  });

  it('answers GraphQL mistakes as GitHub does', async () => {
    const client = graphql.defaults({
      baseUrl: sandbox().githubUrl,
      headers: { authorization: 'token sandbox-token' },
    });
    await expect(
      client(
        'query { organization(login: "acme") { membersWithRole { nodes { login } } } }',
      ),
    ).rejects.toThrow(
      'You must provide a `first` or `last` value to properly paginate the `membersWithRole` connection.',
    );
    await expect(
      client(
        'query { organization(login: "acme") { membersWithRole(first: 101) { nodes { login } } } }',
      ),
    ).rejects.toThrow('exceeds the `first` limit of 100 records');
    await expect(
      client('query { organization(login: "acme") { billingEmail } }'),
    ).rejects.toThrow(
      'Cannot query field "billingEmail" on type "Organization".',
    );
    const anonymous = await fetch(`${sandbox().githubUrl}/graphql`, {
      method: 'POST',
      body: JSON.stringify({ query: '{ user(login: "alice") { login } }' }),
    });
    expect(anonymous.status).toBe(401);
  });
});
