import { randomBytes } from 'node:crypto';

/** The user the integration's own token (any token not issued by the OAuth flow) acts as. */
export const SANDBOX_USER = 'sandbox-user';

/** A person of the sandbox's GitHub organisation. */
export interface SandboxMember {
  login: string;
  name: string;
  email: string;
  /** Slugs of the teams the person is a member of. */
  teams: string[];
}

/** A team of the sandbox's GitHub organisation. */
export interface SandboxTeam {
  slug: string;
  name: string;
  description: string;
}

/**
 * The sandbox's GitHub organisation: the people who can sign in through its OAuth flow, and
 * the teams Backstage's GitHub org provider turns into groups.
 */
export interface SandboxOrg {
  login: string;
  members: SandboxMember[];
  teams: SandboxTeam[];
}

/**
 * Two product teams and the platform admins, one person each (alice also a template author), and the team of everyone who signs
 * in to the embedded portal as guest (a catalog User, not a member here).
 */
export const DEFAULT_ORG: SandboxOrg = {
  login: 'acme',
  members: [
    {
      login: 'alice',
      name: 'Alice Andersen',
      email: 'alice@acme.example',
      teams: ['team-a', 'template-authors'],
    },
    {
      login: 'bob',
      name: 'Bob Baptiste',
      email: 'bob@acme.example',
      teams: ['team-b'],
    },
    {
      login: 'carol',
      name: 'Carol Chen',
      email: 'carol@acme.example',
      teams: ['platform-admins'],
    },
  ],
  teams: [
    {
      slug: 'team-a',
      name: 'Team A',
      description: 'A product team: the shop and its services.',
    },
    {
      slug: 'team-b',
      name: 'Team B',
      description: 'A product team: billing and payments.',
    },
    {
      slug: 'platform-admins',
      name: 'Platform admins',
      description: 'Run the platform; may act on every stack.',
    },
    {
      slug: 'template-authors',
      name: 'Template authors',
      description:
        'Publish service definitions and templates to the portal (konductor.permissions.templateAuthors).',
    },
    {
      slug: 'guests',
      name: 'Guests',
      description: 'Everyone signed in to the embedded portal as guest.',
    },
  ],
};

/** An OAuth app registered with the sandbox's GitHub: the portal's sign-in. */
export interface SandboxOAuthApp {
  clientId: string;
  clientSecret: string;
  /** The app's authorization callback URL: where a `redirect_uri` must point (see {@link redirectFor}). */
  callbackUrl: string;
}

/** The app the embedded setup's `auth.providers.github` uses. The sandbox is no credential store. */
export const DEFAULT_OAUTH_APP: SandboxOAuthApp = {
  clientId: 'konductor-sandbox',
  clientSecret: 'sandbox-not-a-secret',
  callbackUrl: 'http://localhost:7007/api/auth/github/handler/frame',
};

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** GitHub's description of its `redirect_uri_mismatch` error. */
export const REDIRECT_MISMATCH =
  'The redirect_uri MUST match the registered callback URL for this application.';

/**
 * Where GitHub sends the browser back for `redirectUri`, or undefined when it does not match
 * the app's callback URL. As GitHub's "Redirect URLs": without one, the callback URL; else its
 * host must be the callback's or a sub-domain of it, its port the callback's (any port on a
 * loopback host), and its path the callback's path or below it.
 */
export function redirectFor(
  app: SandboxOAuthApp,
  redirectUri: string | undefined,
): URL | undefined {
  const callback = new URL(app.callbackUrl);
  if (!redirectUri) return callback;
  let redirect: URL;
  try {
    redirect = new URL(redirectUri);
  } catch {
    return undefined;
  }
  const loopback =
    LOOPBACK.includes(callback.hostname) &&
    redirect.hostname === callback.hostname;
  const path = callback.pathname.replace(/\/$/, '');
  const matches =
    (redirect.hostname === callback.hostname ||
      redirect.hostname.endsWith(`.${callback.hostname}`)) &&
    (loopback || redirect.port === callback.port) &&
    (redirect.pathname === callback.pathname ||
      redirect.pathname.startsWith(`${path}/`));
  return matches ? redirect : undefined;
}

interface Grant {
  login: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  expiresAt: number;
}

/**
 * Who signed in through the OAuth web flow: authorization codes (single use, ten minutes, as
 * GitHub's) and the access tokens they were exchanged for. Kept in memory: a restarted sandbox
 * forgets its sessions, and people sign in again.
 */
export class GithubIdentities {
  private readonly codes = new Map<string, Grant>();
  private readonly tokens = new Map<string, { login: string; scope: string }>();

  constructor(readonly org: SandboxOrg, readonly apps: SandboxOAuthApp[]) {}

  member(login: string): SandboxMember | undefined {
    return this.org.members.find(m => m.login === login);
  }

  app(clientId: string): SandboxOAuthApp | undefined {
    return this.apps.find(a => a.clientId === clientId);
  }

  /** A code for `login`, to be exchanged once by the app that asked for it. */
  issueCode(grant: Omit<Grant, 'expiresAt'>): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { ...grant, expiresAt: Date.now() + 600_000 });
    return code;
  }

  /** Exchanges a code for a token, or says why not in GitHub's error codes. */
  exchange(request: {
    clientId: string;
    clientSecret: string;
    code: string;
    redirectUri?: string;
  }):
    | { token: string; scope: string }
    | { error: string; description: string } {
    const app = this.app(request.clientId);
    if (!app || app.clientSecret !== request.clientSecret)
      return {
        error: 'incorrect_client_credentials',
        description: 'The client_id and/or client_secret passed are incorrect.',
      };
    const grant = this.codes.get(request.code);
    this.codes.delete(request.code);
    if (
      !grant ||
      grant.expiresAt < Date.now() ||
      grant.clientId !== request.clientId
    )
      return {
        error: 'bad_verification_code',
        description: 'The code passed is incorrect or expired.',
      };
    if (request.redirectUri && request.redirectUri !== grant.redirectUri)
      return {
        error: 'redirect_uri_mismatch',
        description: REDIRECT_MISMATCH,
      };
    const token = `gho_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, { login: grant.login, scope: grant.scope });
    return { token, scope: grant.scope };
  }

  /**
   * The login an `Authorization` header authenticates as: the person a token was issued to, or
   * the integration's user for any other token; undefined without credentials.
   */
  loginOf(authorization: string | undefined): string | undefined {
    const m = /^(?:token|Bearer) (\S+)$/i.exec(authorization ?? '');
    if (!m) return undefined;
    return this.tokens.get(m[1])?.login ?? SANDBOX_USER;
  }
}
