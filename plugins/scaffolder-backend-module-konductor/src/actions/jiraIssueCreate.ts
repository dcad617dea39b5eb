import { InputError } from '@backstage/errors';
import type { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { fetchWithTimeout } from '@konductor/plugin-provisioning-node';
import { parseInput } from './parseInput';

const timedFetch = fetchWithTimeout();
import { examples } from './jiraIssueCreate.examples';

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
    .describe('Keep the task running until the issue is done.'),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Longest wait for the issue to be done.'),
  pollIntervalSeconds: z
    .number()
    .min(0.01)
    .default(30)
    .describe(
      'First interval between status checks; it grows up to ten times that.',
    ),
});

/**
 * `konductor:jira:issue:create`: manual fulfilment. Opens a Jira issue rendered from the form
 * values and, optionally, keeps the task running until the issue is done, so a manual request is
 * tracked like an automated one.
 */
export function createJiraIssueCreateAction(options: { jira?: JiraClient }) {
  return createTemplateAction({
    id: 'konductor:jira:issue:create',
    description:
      'Opens a Jira issue for manual fulfilment and outputs its key and URL; with waitForDone it polls (with backoff, up to a timeout) until the issue reaches a done status, logging each status change.',
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
      let current = await jira.status(key);
      if (input.waitForDone) {
        const started = Date.now();
        const deadline = started + input.timeoutMinutes * 60_000;
        let interval = input.pollIntervalSeconds * 1000;
        ctx.logger.info(
          `Waiting for ${key} to be done (status: ${current.name})`,
        );
        while (current.category !== 'done') {
          if (ctx.signal?.aborted)
            throw new Error(
              `Stopped waiting for ${key}: the task was cancelled`,
            );
          if (Date.now() >= deadline)
            throw new Error(
              `${key} was not done within ${input.timeoutMinutes} minutes (status: ${current.name})`,
            );
          const delay = Math.min(interval, deadline - Date.now());
          await new Promise(resolve => setTimeout(resolve, delay));
          interval = Math.min(
            interval * 1.5,
            input.pollIntervalSeconds * 10_000,
          );
          const next = await jira.status(key);
          if (next.name !== current.name)
            ctx.logger.info(
              `${key} is now ${next.name} (after ${Math.round(
                (Date.now() - started) / 1000,
              )}s)`,
            );
          current = next;
        }
      }
      ctx.output('status', current.name);
    },
  });
}
