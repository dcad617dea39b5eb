import { CustomErrorBase, InputError } from '@backstage/errors';
import type { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { fetchWithTimeout } from '@konductor/plugin-provisioning-node';
import { parseInput } from './parseInput';

const timedFetch = fetchWithTimeout();
import { examples } from './jiraIssueCreate.examples';
import type { ManualWaits } from '../manualWaits/ManualWaits';

/** The task waits for a ticket: it ends here and is retried once the ticket is done. */
export class ManualWaitPendingError extends CustomErrorBase {
  name = 'ManualWaitPendingError' as const;
}

/** A minimal Jira REST v3 client: create an issue, read its status. */
export class JiraClient {
  constructor(
    private readonly options: {
      baseUrl: string;
      email?: string;
      token: string;
    },
  ) {}

  /** The client from `konductor.jira`, or undefined when Jira is not configured. */
  static fromConfig(config: Config): JiraClient | undefined {
    const jira = config.getOptionalConfig('konductor.jira');
    if (!jira) return undefined;
    return new JiraClient({
      baseUrl: jira.getString('baseUrl').replace(/\/$/, ''),
      email: jira.getOptionalString('email'),
      token: jira.getString('token'),
    });
  }

  browseUrl(key: string) {
    return `${this.options.baseUrl}/browse/${key}`;
  }

  private async call(method: string, path: string, body?: unknown) {
    const { email, token } = this.options;
    const res = await timedFetch(`${this.options.baseUrl}/rest/api/3${path}`, {
      method,
      headers: {
        authorization: email
          ? `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`
          : `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) {
      const detail = [
        ...(data.errorMessages ?? []),
        ...Object.entries(data.errors ?? {}).map(([k, v]) => `${k}: ${v}`),
      ].join('; ');
      const error = new Error(
        `Jira answered ${res.status} to ${method} ${path}${
          detail ? `: ${detail}` : ''
        }`,
      );
      (error as any).status = res.status;
      throw error;
    }
    return data;
  }

  async createIssue(fields: {
    projectKey: string;
    issueType: string;
    summary: string;
    description?: string;
    labels: string[];
  }) {
    const description = fields.description
      ? {
          type: 'doc',
          version: 1,
          content: fields.description.split(/\n\s*\n/).map(p => ({
            type: 'paragraph',
            content: [{ type: 'text', text: p.trim() }],
          })),
        }
      : undefined;
    const data = await this.call('POST', '/issue', {
      fields: {
        project: { key: fields.projectKey },
        issuetype: { name: fields.issueType },
        summary: fields.summary,
        description,
        labels: fields.labels,
      },
    });
    return { id: String(data.id), key: String(data.key) };
  }

  async status(key: string): Promise<{ name: string; category: string }> {
    const data = await this.call(
      'GET',
      `/issue/${encodeURIComponent(key)}?fields=status`,
    );
    return {
      name: data.fields.status.name,
      category: data.fields.status.statusCategory.key,
    };
  }
}

const outputSchema = z.object({
  issueKey: z.string().describe('The issue key, such as PLAT-42.'),
  issueUrl: z.string().describe('Link to the issue.'),
  status: z.string().describe('The issue status when the step ended.'),
});

const inputSchema = z.object({
  projectKey: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key such as PLAT')
    .describe('Jira project key.'),
  issueType: z
    .string()
    .default('Task')
    .describe('Issue type name, such as Task or Service Request.'),
  summary: z.string().min(1).max(255).describe('Issue summary (one line).'),
  description: z
    .string()
    .optional()
    .describe('Issue description; blank lines separate paragraphs.'),
  labels: z.array(z.string()).default([]).describe('Labels to add.'),
  waitForDone: z
    .boolean()
    .default(false)
    .describe(
      'The task goes on only once the issue is done: until then it ends, holding no worker, and is resumed by itself when the issue is done.',
    ),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Longest wait for the issue to be done.'),
});

/**
 * `konductor:jira:issue:create`: manual fulfilment. Opens a Jira issue rendered from the form
 * values and, optionally, goes on only once the issue is done, so a manual request is tracked
 * like an automated one; while it waits, its task has ended and holds no worker.
 */
export function createJiraIssueCreateAction(options: {
  jira?: JiraClient;
  /** Where waiting tasks are kept for the sweep that resumes them (required by waitForDone). */
  waits?: ManualWaits;
}) {
  return createTemplateAction({
    id: 'konductor:jira:issue:create',
    description:
      "Opens a Jira issue for manual fulfilment and outputs its key and URL; with waitForDone the task goes on only once the issue reaches a done status: until then it ends (holding no worker, saying it waits) and the module's sweep (konductor.jira.intervalSeconds) resumes it from its checkpoint once the issue is done, up to timeoutMinutes.",
    examples,
    schema: {
      input: () => inputSchema,
      output: () => outputSchema,
    },
    async handler(ctx) {
      // The scaffolder validates input but applies no defaults: parse it here.
      const input = parseInput(inputSchema, ctx.input);
      const jira = options.jira;
      if (!jira)
        throw new InputError(
          'Jira is not configured: set konductor.jira.baseUrl and konductor.jira.token in app-config',
        );
      const { key } = await ctx.checkpoint({
        key: `konductor.jira.${input.projectKey}.issue`,
        fn: async () => {
          try {
            return await jira.createIssue(input);
          } catch (e) {
            if ((e as any).status === 400)
              throw new InputError((e as Error).message);
            throw e;
          }
        },
      });
      ctx.output('issueKey', key);
      ctx.output('issueUrl', jira.browseUrl(key));
      ctx.logger.info(`Opened ${key}: ${jira.browseUrl(key)}`);
      const current = await jira.status(key);
      if (input.waitForDone) {
        if (!options.waits)
          throw new InputError(
            'waitForDone needs the scaffolder module to keep waiting tasks: it is not wired here',
          );
        const earlier = await options.waits.get(ctx.task.id, key);
        if (current.category !== 'done') {
          const wait = await options.waits.park(
            ctx.task.id,
            key,
            input.timeoutMinutes,
          );
          const message = `Waiting for ${key} to be done (status: ${
            current.name
          }): the task ends here, holding no worker, and goes on by itself once ${key} is done (until ${wait.deadline.toISOString()})`;
          ctx.logger.info(message);
          throw new ManualWaitPendingError(message);
        }
        if (earlier) {
          ctx.logger.info(`${key} is now ${current.name}`);
          // A task retried by hand once its ticket is done goes on here: the sweep stops
          // watching the ticket (it would retry a task that is no longer failed).
          if (earlier.state === 'waiting')
            await options.waits.end(earlier, 'resumed');
        }
      }
      ctx.output('status', current.name);
    },
  });
}
