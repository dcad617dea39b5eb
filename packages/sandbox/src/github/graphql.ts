import {
  GraphQLError,
  buildSchema,
  execute,
  parse,
  validate,
  type DocumentNode,
} from 'graphql';
import type { SandboxContext, SandboxRequest, SandboxResponse } from '../types';
import { json } from '../types';
import type { SandboxMember, SandboxTeam } from './identity';

/**
 * The part of GitHub's GraphQL schema that reads an organisation's people and teams (what
 * Backstage's GitHub org provider queries), with GitHub's names and types. A query for
 * anything else fails validation, as it would against a GitHub that lacked the field.
 */
const schema = buildSchema(`
  scalar URI
  scalar DateTime

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    endCursor: String
    startCursor: String
  }

  type User {
    id: ID!
    login: String!
    name: String
    email: String!
    bio: String
    avatarUrl(size: Int): URI!
    url: URI!
    suspendedAt: DateTime
    organizationVerifiedDomainEmails(login: String!): [String!]!
    organizations(first: Int, after: String, last: Int, before: String): OrganizationConnection!
  }

  type OrganizationConnection {
    nodes: [Organization]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type OrganizationMemberConnection {
    nodes: [User]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  enum TeamMembershipType {
    IMMEDIATE
    CHILD_TEAM
    ALL
  }

  type TeamMemberConnection {
    nodes: [User]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type TeamConnection {
    nodes: [Team]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Team {
    id: ID!
    slug: String!
    combinedSlug: String!
    name: String!
    description: String
    avatarUrl(size: Int): URI
    editTeamUrl: URI!
    url: URI!
    parentTeam: Team
    members(first: Int, after: String, last: Int, before: String, membership: TeamMembershipType): TeamMemberConnection!
  }

  type Organization {
    id: ID!
    login: String!
    name: String
    membersWithRole(first: Int, after: String, last: Int, before: String): OrganizationMemberConnection!
    teams(first: Int, after: String, last: Int, before: String, userLogins: [String!]): TeamConnection!
    team(slug: String!): Team
  }

  type Query {
    organization(login: String!): Organization
    user(login: String!): User
  }
`);

interface PageArgs {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}

/**
 * A page of `items` as GitHub pages connections: `first` (or `last`) is required and at most
 * 100, and `after` is an opaque cursor from a previous page.
 */
function connection<T>(items: T[], args: PageArgs, field: string) {
  const size = args.first ?? args.last;
  if (size === undefined || size === null)
    throw new GraphQLError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`,
    );
  if (size < 0 || size > 100)
    throw new GraphQLError(
      `Requesting ${size} records on the \`${field}\` connection exceeds the \`${
        args.first !== undefined ? 'first' : 'last'
      }\` limit of 100 records.`,
    );
  let start = 0;
  if (args.after) {
    const decoded = Number(
      Buffer.from(args.after, 'base64').toString('utf8').replace('cursor:', ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new GraphQLError(
        `\`${args.after}\` does not appear to be a valid cursor.`,
      );
    start = decoded + 1;
  }
  const page = items.slice(start, start + size);
  const end = start + page.length - 1;
  return {
    nodes: page,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: end + 1 < items.length,
      hasPreviousPage: start > 0,
      startCursor: page.length
        ? Buffer.from(`cursor:${start}`).toString('base64')
        : null,
      endCursor: page.length
        ? Buffer.from(`cursor:${end}`).toString('base64')
        : null,
    },
  };
}

/** The resolvers' root, over the sandbox's organisation. */
function root(ctx: SandboxContext) {
  const { org } = ctx.github;
  const user = (m: SandboxMember) => ({
    id: `U_sandbox_${m.login}`,
    login: m.login,
    name: m.name,
    email: m.email,
    bio: null,
    avatarUrl: () => `${ctx.url}/avatars/${m.login}.svg`,
    url: `${ctx.url}/${m.login}`,
    suspendedAt: null,
    organizationVerifiedDomainEmails: ({ login }: { login: string }) =>
      login === org.login ? [m.email] : [],
    organizations: (args: PageArgs) =>
      connection([organization()], args, 'organizations'),
  });
  const team = (t: SandboxTeam): Record<string, unknown> => ({
    id: `T_sandbox_${t.slug}`,
    slug: t.slug,
    combinedSlug: `${org.login}/${t.slug}`,
    name: t.name,
    description: t.description,
    avatarUrl: () => null,
    editTeamUrl: `${ctx.url}/orgs/${org.login}/teams/${t.slug}/edit`,
    url: `${ctx.url}/orgs/${org.login}/teams/${t.slug}`,
    parentTeam: null,
    members: (args: PageArgs) =>
      connection(
        org.members.filter(m => m.teams.includes(t.slug)).map(user),
        args,
        'members',
      ),
  });
  function organization() {
    return {
      id: `O_sandbox_${org.login}`,
      login: org.login,
      name: org.login,
      membersWithRole: (args: PageArgs) =>
        connection(org.members.map(user), args, 'membersWithRole'),
      teams: (args: PageArgs & { userLogins?: string[] }) =>
        connection(
          org.teams
            .filter(
              t =>
                !args.userLogins?.length ||
                org.members.some(
                  m =>
                    args.userLogins!.includes(m.login) &&
                    m.teams.includes(t.slug),
                ),
            )
            .map(team),
          args,
          'teams',
        ),
      team: ({ slug }: { slug: string }) => {
        const found = org.teams.find(t => t.slug === slug);
        return found ? team(found) : null;
      },
    };
  }
  return {
    organization: ({ login }: { login: string }) =>
      login.toLowerCase() === org.login ? organization() : null,
    user: ({ login }: { login: string }) => {
      const m = ctx.github.member(login);
      return m ? user(m) : null;
    },
  };
}

/**
 * GitHub's GraphQL API (`POST /graphql` under the REST base, `/api/graphql` on an Enterprise
 * instance): authenticated like the REST API, parsed and validated against the schema above,
 * errors in GitHub's `{ errors: [{ message, locations, path }] }` shape.
 */
export async function handleGithubGraphql(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse> {
  if (!ctx.github.loginOf(req.headers.authorization))
    return json(401, {
      message: 'This endpoint requires you to be authenticated.',
      documentation_url:
        'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql',
    });
  if (req.method !== 'POST') return json(404, { message: 'Not Found' });
  const outcome = await ctx.fault('github', 'POST /graphql');
  if (outcome.error) return json(502, { message: 'Server Error' });
  let body: { query?: string; variables?: Record<string, unknown> };
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    return json(400, { message: 'Problems parsing JSON' });
  }
  if (typeof body.query !== 'string')
    return json(200, {
      errors: [
        {
          message: 'A query attribute must be specified and must be a string.',
        },
      ],
    });
  let document: DocumentNode;
  try {
    document = parse(body.query);
  } catch (e) {
    return json(200, { errors: [(e as GraphQLError).toJSON()] });
  }
  const invalid = validate(schema, document);
  if (invalid.length)
    return json(200, { errors: invalid.map(e => e.toJSON()) });
  const result = await execute({
    schema,
    document,
    rootValue: root(ctx),
    variableValues: body.variables,
  });
  return json(200, {
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(result.errors ? { errors: result.errors.map(e => e.toJSON()) } : {}),
  });
}
