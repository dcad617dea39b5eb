import { z } from 'zod/v3';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { RESOURCE_KINDS } from '@konductor/plugin-provisioning-common';

/** The API version of Konductor's ServiceDefinition kind. */
export const SERVICE_DEFINITION_API_VERSION = 'konductor.dev/v1alpha1';
/** The kind. */
export const SERVICE_DEFINITION_KIND = 'ServiceDefinition';

/** What a definition offers. */
export const SERVICE_TYPES = [
  'web-service',
  'api',
  'database',
  'background-job',
  'full-stack',
  'other',
] as const;

const entityRef = (kinds: string[], example: string) =>
  z
    .string()
    .regex(
      new RegExp(`^(${kinds.join('|')}):([a-z0-9-_.]+/)?[A-Za-z0-9-_.]+$`, 'i'),
      `must be an entity ref such as ${example}`,
    );

/** A JSON Schema object of form fields: what the requester fills. */
const formPageSchema = z
  .object({
    title: z.string().optional(),
    description: z.string().optional(),
    required: z.array(z.string()).optional(),
    properties: z
      .record(z.object({}).passthrough())
      .refine(p => Object.keys(p).length > 0, 'must define at least one field'),
  })
  .passthrough();

const automatedSchema = z
  .object({
    skeleton: z
      .string()
      .regex(
        /^\.{1,2}\/[^\s]*$/,
        'must be a folder path relative to this definition, such as ./skeleton',
      )
      .optional()
      .describe(
        'The repository skeleton, rendered with the parameters (fetch:template).',
      ),
    repository: z
      .object({ repoUrl: z.string().min(1) })
      .passthrough()
      .optional()
      .describe(
        'Input of konductor:github:repo:provision: the repository to create and push the skeleton to.',
      ),
    catalogInfoPath: z
      .string()
      .startsWith(
        '/',
        'must be a path in the repository, such as /catalog-info.yaml',
      )
      .optional()
      .describe('Registers this file of the new repository in the catalog.'),
    stack: z
      .object({
        name: z.string().min(1),
        environment: z.string().min(1),
        resources: z
          .object({})
          .passthrough()
          .refine(
            r =>
              Object.keys(r).every(k =>
                (RESOURCE_KINDS as readonly string[]).includes(k),
              ),
            `may only name the resources ${RESOURCE_KINDS.join(', ')}`,
          ),
      })
      .passthrough()
      .optional()
      .describe(
        'Input of konductor:stack:provision: the cloud stack, with ${{ parameters.x }} expressions.',
      ),
  })
  .strict()
  .refine(a => a.repository || a.stack, {
    message: 'must create a repository, a stack or both',
  })
  .refine(a => !a.catalogInfoPath || a.repository, {
    message: 'catalogInfoPath needs a repository to read it from',
    path: ['catalogInfoPath'],
  })
  .refine(a => !a.skeleton || a.repository, {
    message: 'skeleton needs a repository to push it to',
    path: ['skeleton'],
  });

const manualSchema = z
  .object({
    projectKey: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{1,9}$/, 'must be a Jira project key such as PLAT'),
    issueType: z.string().min(1).optional(),
    summary: z.string().min(1),
    description: z.string().optional(),
    labels: z.array(z.string()).optional(),
  })
  .strict();

/** The `spec` of a ServiceDefinition. */
export const serviceDefinitionSpecSchema = z
  .object({
    owner: entityRef(['group', 'user'], 'group:default/platform-team'),
    type: z.enum(SERVICE_TYPES),
    lifecycle: z.string().min(1),
    parameters: z
      .union([formPageSchema, z.array(formPageSchema).min(1)])
      .describe(
        'The form: a JSON Schema object of fields (with ui: hints), or several pages of them.',
      ),
    dependsOn: z
      .array(
        entityRef(['servicedefinition'], 'servicedefinition:default/postgres'),
      )
      .optional(),
    fulfilment: z.discriminatedUnion('mode', [
      z
        .object({ mode: z.literal('automated'), automated: automatedSchema })
        .strict(),
      z.object({ mode: z.literal('manual'), manual: manualSchema }).strict(),
    ]),
  })
  .strict();

/** A validated ServiceDefinition's spec. */
export type ServiceDefinitionSpec = z.output<
  typeof serviceDefinitionSpecSchema
>;

/** The ServiceDefinition spec as JSON Schema (draft 7), for editors and the docs. */
export const serviceDefinitionJsonSchema = zodToJsonSchema(
  serviceDefinitionSpecSchema,
  { name: 'ServiceDefinitionSpec', target: 'jsonSchema7' },
);

/** One problem of a definition: the field and what to change. */
export interface DefinitionProblem {
  path: string;
  message: string;
}

/** A problem's message in words that say what to change. */
function messageOf(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field(s) ${issue.keys.join(', ')}: remove them`;
  if (issue.code === 'invalid_union_discriminator')
    return `must be 'automated' or 'manual'`;
  return issue.message;
}

/** Validates a definition's spec; every problem at once. */
export function validateServiceDefinitionSpec(
  spec: unknown,
):
  | { valid: true; spec: ServiceDefinitionSpec }
  | { valid: false; problems: DefinitionProblem[] } {
  const result = serviceDefinitionSpecSchema.safeParse(spec);
  if (result.success) return { valid: true, spec: result.data };
  return {
    valid: false,
    problems: result.error.issues.map(issue => ({
      path: ['spec', ...issue.path].join('.'),
      message: messageOf(issue),
    })),
  };
}
