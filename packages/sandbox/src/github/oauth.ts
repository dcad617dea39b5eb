import type { SandboxContext, SandboxRequest, SandboxResponse } from '../types';
import { json } from '../types';
import { REDIRECT_MISMATCH, redirectFor } from './identity';

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[
        c
      ]!),
  );

const html = (
  status: number,
  title: string,
  body: string,
): SandboxResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${escape(
    title,
  )}</title><style>body{font-family:sans-serif;margin:3em auto;max-width:32em}a.who{display:block;margin:.6em 0;padding:.8em 1em;border:1px solid #ccc;border-radius:6px;text-decoration:none;color:#111}a.who:hover{background:#f4f4f4}small{color:#666}</style></head><body>${body}</body></html>`,
});

/** The request's form or JSON body as a record. */
function fields(req: SandboxRequest): Record<string, string> {
  const text = req.body.toString('utf8');
  if (String(req.headers['content-type'] ?? '').includes('application/json'))
    try {
      return JSON.parse(text);
    } catch {
      return {};
    }
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * GitHub's OAuth web flow, where GitHub Enterprise serves it (`/login/oauth/*` at the root of
 * the instance, the REST API under `/api/v3`), so Backstage's GitHub sign-in works against the
 * sandbox with `enterpriseInstanceUrl`. The authorize page lets you choose who to be among the
 * organisation's members instead of asking for a password. Undefined for other paths.
 */
export async function handleGithubOAuth(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse | undefined> {
  const route = `${req.method} ${req.path}`;
  const ids = ctx.github;

  if (
    route === 'GET /login/oauth/authorize' ||
    route === 'GET /login/oauth/authorize/as'
  ) {
    const clientId = req.query.get('client_id') ?? '';
    const redirectUri = req.query.get('redirect_uri') ?? undefined;
    const state = req.query.get('state') ?? '';
    const scope = req.query.get('scope') ?? '';
    // As GitHub: an unknown app is a 404 page; a redirect_uri that does not match the app's
    // callback URL sends the browser to the callback URL with the error.
    const app = ids.app(clientId);
    if (!app)
      return html(404, 'Not found', '<h1>404</h1><p>Unknown OAuth app.</p>');
    const redirect = redirectFor(app, redirectUri);
    if (!redirect) {
      const mismatch = new URL(app.callbackUrl);
      mismatch.searchParams.set('error', 'redirect_uri_mismatch');
      mismatch.searchParams.set('error_description', REDIRECT_MISMATCH);
      mismatch.searchParams.set(
        'error_uri',
        'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch',
      );
      if (state) mismatch.searchParams.set('state', state);
      return {
        status: 302,
        headers: { location: mismatch.toString() },
        body: '',
      };
    }
    if (route === 'GET /login/oauth/authorize/as') {
      const login = req.query.get('login') ?? '';
      if (!ids.member(login))
        return html(
          400,
          'Unknown user',
          `<h1>No member ${escape(login)} in ${escape(ids.org.login)}</h1>`,
        );
      redirect.searchParams.set(
        'code',
        ids.issueCode({
          login,
          clientId,
          redirectUri: redirectUri ?? app.callbackUrl,
          scope,
        }),
      );
      if (state) redirect.searchParams.set('state', state);
      return {
        status: 302,
        headers: { location: redirect.toString() },
        body: '',
      };
    }
    const choose = (login: string) => {
      const as = new URLSearchParams(req.query);
      as.set('login', login);
      return `/login/oauth/authorize/as?${as}`;
    };
    return html(
      200,
      'Sign in to the sandbox’s GitHub',
      `<h1>Sign in to the sandbox’s GitHub</h1><p>Choose who you are in <b>${escape(
        ids.org.login,
      )}</b>. Nothing here is real: the sandbox stands in for GitHub.</p>${ids.org.members
        .map(
          m =>
            `<a class="who" href="${escape(choose(m.login))}"><b>${escape(
              m.name,
            )}</b> (${escape(m.login)})<br><small>${m.teams
              .map(escape)
              .join(', ')}</small></a>`,
        )
        .join('')}`,
    );
  }

  if (route === 'POST /login/oauth/access_token') {
    const body = fields(req);
    const result = ids.exchange({
      clientId: body.client_id ?? '',
      clientSecret: body.client_secret ?? '',
      code: body.code ?? '',
      redirectUri: body.redirect_uri,
    });
    // GitHub answers 200 either way; errors are in the body.
    const payload =
      'token' in result
        ? {
            access_token: result.token,
            token_type: 'bearer',
            scope: result.scope,
          }
        : {
            error: result.error,
            error_description: result.description,
            error_uri:
              'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
          };
    if (String(req.headers.accept ?? '').includes('application/json'))
      return json(200, payload);
    return {
      status: 200,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(
        Object.entries(payload).map(([k, v]) => [k, String(v)]),
      ).toString(),
    };
  }
  return undefined;
}
