import { DEFAULT_OAUTH_APP } from './identity';

/**
 * A GitHub token that acts as `login`, one of the organisation's members, got as a person gets
 * one: through the sandbox's OAuth web flow (the authorize page, the member chosen, the code
 * exchanged) over HTTP. For tests that need people other than the integration's user (a reviewer
 * who approves and merges a pull request).
 */
export async function githubTokenOf(
  sandboxUrl: string,
  login: string,
  app = DEFAULT_OAUTH_APP,
): Promise<string> {
  const chosen = await fetch(
    `${sandboxUrl}/login/oauth/authorize/as?${new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: app.callbackUrl,
      scope: 'repo',
      login,
    })}`,
    { redirect: 'manual' },
  );
  const code = new URL(chosen.headers.get('location') ?? '').searchParams.get(
    'code',
  );
  if (!code) throw new Error(`${login} could not sign in: ${chosen.status}`);
  const exchanged = await fetch(`${sandboxUrl}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      code,
      redirect_uri: app.callbackUrl,
    }),
  });
  const { access_token: token } = await exchanged.json();
  if (!token) throw new Error(`${login}'s code was not exchanged`);
  return token;
}
