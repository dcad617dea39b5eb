import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  json,
} from '../types';

interface Issue {
  id: string;
  key: string;
  project: string;
  issueType: string;
  summary: string;
  description: unknown;
  labels: string[];
  status: Status;
  created: number;
  updated: number;
}
type Status = 'To Do' | 'In Progress' | 'Done';

const categories: Record<Status, { key: string; name: string }> = {
  'To Do': { key: 'new', name: 'To Do' },
  'In Progress': { key: 'indeterminate', name: 'In Progress' },
  Done: { key: 'done', name: 'Done' },
};
/** The workflow: transition id -> target status, and which are offered from each status. */
const transitions: Record<string, { name: string; to: Status }> = {
  '11': { name: 'To Do', to: 'To Do' },
  '21': { name: 'In Progress', to: 'In Progress' },
  '31': { name: 'Done', to: 'Done' },
};
const ISSUE_TYPES = ['Task', 'Story', 'Bug', 'Service Request'];

const jiraError = (
  status: number,
  messages: string[],
  errors: Record<string, string> = {},
) => json(status, { errorMessages: messages, errors });

function render(issue: Issue, base: string, version: string) {
  return {
    id: issue.id,
    key: issue.key,
    self: `${base}/rest/api/${version}/issue/${issue.id}`,
    fields: {
      summary: issue.summary,
      description: issue.description,
      labels: issue.labels,
      issuetype: { name: issue.issueType },
      project: { key: issue.project },
      status: { name: issue.status, statusCategory: categories[issue.status] },
      created: new Date(issue.created).toISOString(),
      updated: new Date(issue.updated).toISOString(),
    },
  };
}

/** Jira REST (v2 and v3): create and get issues, list and perform transitions. */
export async function handleJira(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse> {
  const m = /^\/rest\/api\/(2|3)\/issue(?:\/([^/]+))?(\/transitions)?\/?$/.exec(
    req.path,
  );
  if (!m) return jiraError(404, [`No Jira resource at ${req.path}`]);
  const [, version, idOrKey, isTransitions] = m;
  let op = 'GetIssue';
  if (!idOrKey) op = 'CreateIssue';
  else if (isTransitions)
    op = req.method === 'POST' ? 'DoTransition' : 'GetTransitions';
  const auth = String(req.headers.authorization ?? '');
  if (!/^(Basic|Bearer) \S+/.test(auth)) {
    return jiraError(401, [
      'You are not authenticated. Authentication required to perform this operation.',
    ]);
  }
  const outcome = await ctx.fault('jira', op);
  if (outcome.error === 'throttle')
    return {
      ...jiraError(429, ['Rate limit exceeded.']),
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
    };
  if (outcome.error) return jiraError(500, ['Internal server error']);

  const base = `${ctx.url}/jira`;
  let body: any = {};
  if (req.body.length) {
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return jiraError(400, [
        'Unexpected character in the request body: it must be JSON.',
      ]);
    }
  }
  const find = () => {
    const all = ctx.state.list<Issue>('jira', 'issue');
    return all.find(
      r => r.data.key === idOrKey?.toUpperCase() || r.data.id === idOrKey,
    );
  };

  if (op === 'CreateIssue') {
    if (req.method !== 'POST') return jiraError(405, ['Method not allowed']);
    const f = body?.fields ?? {};
    const errors: Record<string, string> = {};
    const project = f.project?.key ?? f.project?.id;
    if (!project || !ctx.jiraProjects.includes(String(project)))
      errors.project = 'valid project is required';
    if (!f.summary || typeof f.summary !== 'string')
      errors.summary = 'You must specify a summary of the issue.';
    else if (f.summary.length > 255)
      errors.summary = 'Summary must be less than 255 characters.';
    const type = f.issuetype?.name ?? f.issuetype?.id;
    if (!type || !ISSUE_TYPES.includes(type))
      errors.issuetype = `Specify a valid issue type (one of: ${ISSUE_TYPES.join(
        ', ',
      )})`;
    if (
      version === '3' &&
      f.description !== undefined &&
      typeof f.description !== 'object'
    ) {
      errors.description = 'Operation value must be an Atlassian Document';
    }
    if (Object.keys(errors).length) return jiraError(400, [], errors);
    const n = ctx.state.next();
    const key = `${project}-${
      ctx.state
        .list<Issue>('jira', 'issue')
        .filter(r => r.data.project === project).length + 1
    }`;
    const now = Date.now();
    const issue: Issue = {
      id: String(10000 + n),
      key,
      project,
      issueType: type,
      summary: f.summary,
      description: f.description ?? null,
      labels: Array.isArray(f.labels) ? f.labels : [],
      status: 'To Do',
      created: now,
      updated: now,
    };
    ctx.state.put({
      service: 'jira',
      type: 'issue',
      id: issue.id,
      createdAt: now,
      data: issue,
    });
    return json(201, {
      id: issue.id,
      key,
      self: `${base}/rest/api/${version}/issue/${issue.id}`,
    });
  }

  const r = find();
  if (!r)
    return jiraError(404, [
      'Issue does not exist or you do not have permission to see it.',
    ]);
  const issue = r.data;
  if (op === 'GetIssue') return json(200, render(issue, base, version));
  const offered = Object.entries(transitions).filter(
    ([, t]) => t.to !== issue.status,
  );
  if (op === 'GetTransitions') {
    return json(200, {
      transitions: offered.map(([id, t]) => ({
        id,
        name: t.name,
        to: { name: t.to, statusCategory: categories[t.to] },
      })),
    });
  }
  const id = String(body?.transition?.id ?? '');
  if (!offered.some(([tid]) => tid === id)) {
    return jiraError(400, [
      `Transition id '${id}' is not valid for this issue.`,
    ]);
  }
  issue.status = transitions[id].to;
  issue.updated = Date.now();
  ctx.state.put(r);
  return { status: 204 };
}
