import {
  BUILT_IN_RESOURCE_KINDS,
  stackSpecJsonSchema,
} from '@konductor/plugin-provisioning-common';
import { createComplianceCheckAction } from './actions/complianceCheck';
import { createGithubRepoProvisionAction } from './actions/githubRepoProvision';
import { createJiraIssueCreateAction } from './actions/jiraIssueCreate';
import { createStackDestroyAction } from './actions/stackDestroy';
import { createStackOutputsAction } from './actions/stackOutputs';
import {
  createStackProvisionAction,
  createStackReserveAction,
} from './actions/stackProvision';

/** The actions reference page, relative to the repository root. */
export const ACTIONS_PAGE = 'docs/reference/actions.md';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
  default?: unknown;
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map(v => `\`${JSON.stringify(v)}\``).join(' | ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  return Array.isArray(s.type) ? s.type.join(' | ') : s.type ?? 'any';
}

/** One row per field, nested objects flattened with dotted names. */
function rows(schema: JsonSchema | undefined, prefix = ''): string[] {
  return Object.entries(schema?.properties ?? {}).flatMap(([name, s]) => {
    const required = schema?.required?.includes(name) ? 'yes' : '';
    // A default the description explains (computed on the day) is not printed: it would change.
    const fallback =
      s.default !== undefined && !/by default/i.test(s.description ?? '')
        ? ` Default: \`${JSON.stringify(s.default)}\`.`
        : '';
    return [
      `| \`${prefix}${name}\` | ${cell(typeOf(s))} | ${required} | ${cell(
        `${s.description ?? ''}${fallback}`.trim(),
      )} |`,
      ...(s.type === 'object' ? rows(s, `${prefix}${name}.`) : []),
    ];
  });
}

const table = (schema: JsonSchema | undefined, prefix = '') =>
  [
    '| Field | Type | Required | What it is |',
    '|---|---|---|---|',
    ...rows(schema, prefix),
  ].join('\n');

/** The fields of each built-in kind, as a stack's `resources.<name>` takes them. */
function kindsReference(): string[] {
  const kinds: (JsonSchema & { title: string })[] =
    stackSpecJsonSchema.properties.resources.additionalProperties.anyOf;
  return [
    '## Resource kinds',
    'What `konductor:stack:provision` and `konductor:compliance:check` take under `resources.<name>`, per kind: a resource named after its kind needs no `kind` field (`database:`), any other name states it (`orders-db: { kind: database }`). Modules add kinds through `provisioningResourceKindsExtensionPoint`; the template author guide says how.',
    ...BUILT_IN_RESOURCE_KINDS.list().flatMap(d => [
      `### \`${d.kind}\``,
      `${d.title[0].toUpperCase()}${d.title.slice(1)}. Catalog type \`${
        d.catalogType
      }\`; outputs ${Object.keys(d.outputs.shape)
        .map(o => `\`${o}\``)
        .join(', ')}${
        d.requires?.length ? `; needs ${d.requires.join(', ')}` : ''
      }${d.onePerStack ? '; one per stack' : ''}.`,
      table(
        kinds.find(k => k.title === d.kind),
        `resources.${d.kind}.`,
      ),
    ]),
  ];
}

/**
 * The reference of Konductor's scaffolder actions, generated from the actions themselves:
 * description, input and output (from their zod schemas) and their examples (each of which
 * `actions.test.ts` runs against the sandbox). `yarn docs:generate` writes it.
 */
export function actionsReference(): string {
  const none = {} as any;
  const actions = [
    createComplianceCheckAction({ providers: none }),
    createStackProvisionAction({
      providers: none,
      stacks: () => none,
      platform: none,
    }),
    createStackReserveAction({
      providers: none,
      stacks: () => none,
      platform: none,
    }),
    createStackOutputsAction({ client: () => none }),
    createStackDestroyAction({
      providers: none,
      stacks: () => none,
      platform: none,
      permissions: none,
    }),
    createGithubRepoProvisionAction({
      integrations: none,
      catalog: none,
      githubCredentialsProvider: none,
    }),
    createJiraIssueCreateAction({ jira: none }),
  ];
  const sections = actions.map(a => {
    const schema = a.schema as { input?: JsonSchema; output?: JsonSchema };
    return [
      `## \`${a.id}\``,
      a.description ?? '',
      a.supportsDryRun
        ? "Runs in dry-run (the template editor, the form's stack summary)."
        : '',
      '### Input',
      table(schema.input),
      '### Output',
      table(schema.output),
      ...(a.examples ?? []).flatMap(e => [
        `### Example: ${e.description}`,
        `\`\`\`yaml\n${e.example.trimEnd()}\n\`\`\``,
      ]),
    ]
      .filter(Boolean)
      .join('\n\n');
  });
  return `${[
    '# Scaffolder actions',
    "<!-- Generated by `yarn docs:generate` from the actions' schemas and examples; do not edit. -->",
    "Konductor's actions, for templates and service definitions. Every example below is run against the sandbox by the actions' tests.",
    ...sections,
    ...kindsReference(),
  ].join('\n\n')}\n`;
}
