import { z } from 'zod/v3';
import { zodToJsonSchema } from 'zod-to-json-schema';
import {
  BUILT_IN_KINDS,
  BUILT_IN_RESOURCE_KINDS,
  RESOURCE_NAME,
  stackSpecSchema,
  type ResourceKinds,
} from '@konductor/plugin-provisioning-common';
import {
  DefinitionProblem,
  didYouMean,
  stackResourceProblems,
} from './resources';
import {
  dependencyName,
  parameterProblems,
  replaceDependencyReferences,
  stringsIn,
} from './expressions';

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
    title: z.string().optional().describe("The page's title in the form."),
    description: z.string().optional().describe('Text under the title.'),
    required: z
      .array(z.string())
      .optional()
      .describe('The fields the requester must fill.'),
    properties: z
      .record(z.object({}).passthrough())
      .refine(p => Object.keys(p).length > 0, 'must define at least one field')
      .describe(
        'The fields: JSON Schema properties with `ui:` hints and field extensions (`ui:field: OwnerPicker`, ...), each read in the fulfilment as `${{ parameters.<field> }}`.',
      ),
  })
  .passthrough();

const automatedSchema = z
  .object({
    skeleton: z
      .string()
      .regex(
        /^\.\/[^\s]*$/,
        'must be a folder path under this definition, such as ./skeleton',
      )
      .refine(
        p => !p.split('/').includes('..'),
        "must stay inside this definition's folder: remove the .. from the path",
      )
      .optional()
      .describe(
        'The repository skeleton, rendered with the parameters (fetch:template).',
      ),
    repository: z
      .object({
        repoUrl: z
          .string()
          .min(1)
          .describe('github.com?owner=<org>&repo=<name>, with expressions.'),
      })
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
        // Every other field of the stack action's input, checked when the template runs: they
        // are usually expressions.
        ...(Object.fromEntries(
          Object.entries(stackSpecSchema.shape).map(([key, field]) => [
            key,
            z.unknown().describe(field.description ?? ''),
          ]),
        ) as {
          [K in keyof typeof stackSpecSchema.shape]: z.ZodUnknown;
        }),
        name: z.string().min(1).describe('The stack name.'),
        environment: z.string().min(1).describe('dev, staging or prod.'),
        resources: z
          .record(z.unknown())
          .describe(
            `The resources to create, by name: a name that is a kind (${BUILT_IN_KINDS.join(
              ', ',
            )}, or one a module registers) is of that kind, any other says its kind (kind: database). Each is checked against its kind's fields.`,
          ),
      })
      .strict()
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
      .regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key such as PLAT')
      .describe('The Jira project that fulfils requests, such as OPS.'),
    issueType: z
      .string()
      .min(1)
      .optional()
      .describe('The issue type; Task when omitted.'),
    summary: z
      .string()
      .min(1)
      .describe("The ticket's summary, with ${{ parameters.x }} expressions."),
    description: z
      .string()
      .optional()
      .describe("The ticket's description, with expressions."),
    labels: z
      .array(z.string())
      .optional()
      .describe('Labels on the ticket (konductor is always added).'),
    waitForDone: z
      .boolean()
      .optional()
      .describe(
        "The request's task goes on only once the ticket is done: until then it ends, holding no worker, saying it waits, and it is resumed by itself when the ticket is done.",
      ),
  })
  .strict();

/** The `spec` of a ServiceDefinition. */
export const serviceDefinitionSpecSchema = z
  .object({
    owner: entityRef(['group', 'user'], 'group:default/platform-team').describe(
      'The group that offers the service and owns its form.',
    ),
    type: z.enum(SERVICE_TYPES).describe('What the service is.'),
    lifecycle: z
      .string()
      .min(1)
      .describe('experimental, production or deprecated.'),
    parameters: z
      .union([formPageSchema, z.array(formPageSchema).min(1)])
      .describe(
        'The form: a JSON Schema object of fields (with ui: hints), or several pages of them.',
      ),
    dependsOn: z
      .array(
        entityRef(['servicedefinition'], 'servicedefinition:default/postgres'),
      )
      .optional()
      .describe(
        "Service definitions this one builds on. The form asks for one of each one's provisioned stacks; the fulfilment reads its outputs as ${{ dependencies.<name>.<resource>.<output> }}.",
      ),
    fulfilment: z
      .discriminatedUnion('mode', [
        z
          .object({
            mode: z.literal('automated'),
            automated: automatedSchema.describe(
              'What Konductor creates: a repository from a skeleton, a cloud stack, a catalog registration.',
            ),
          })
          .strict(),
        z
          .object({
            mode: z.literal('manual'),
            manual: manualSchema.describe(
              'The Jira ticket that asks the owning team to fulfil the request.',
            ),
          })
          .strict(),
      ])
      .describe(
        'How a request is fulfilled: mode automated or manual, and the settings of that mode. Switching mode is a change of this field only.',
      ),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // Every dependency the fulfilment reads is declared, and read by one of its resources.
    const declared = new Set((spec.dependsOn ?? []).map(dependencyName));
    for (const [text, path] of stringsIn(spec.fulfilment, ['fulfilment'])) {
      replaceDependencyReferences(text, (ref, name, resource) => {
        if (!declared.has(name))
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path,
            message: `uses dependencies.${name}, but ${name} is not in spec.dependsOn: add servicedefinition:default/${name} there`,
          });
        else if (!RESOURCE_NAME.test(resource ?? ''))
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path,
            message: `uses ${ref}: name the dependency's resource and output, such as dependencies.${name}.network.vpcId`,
          });
        return ref;
      });
    }
  });

/** A validated ServiceDefinition's spec. */
export type ServiceDefinitionSpec = z.output<
  typeof serviceDefinitionSpecSchema
>;

/**
 * A whole ServiceDefinition document as JSON Schema (draft 7), for editors (published as
 * docs/reference/service-definition.schema.json) and the reference page.
 */
export const serviceDefinitionJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ServiceDefinition',
  description:
    'A Konductor service definition: what a platform team offers, the form a developer fills to request it, and how it is fulfilled.',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: SERVICE_DEFINITION_API_VERSION },
    kind: { const: SERVICE_DEFINITION_KIND },
    metadata: {
      type: 'object',
      required: ['name'],
      description: "The catalog's entity metadata.",
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*$',
          maxLength: 63,
          description:
            'The id; the generated Template has the same name, and dependent definitions refer to it.',
        },
        namespace: { type: 'string' },
        title: { type: 'string', description: "The form's title." },
        description: {
          type: 'string',
          description: 'Shown on the Create page.',
        },
        tags: { type: 'array', items: { type: 'string' } },
      },
    },
    spec: specJsonSchema(),
  },
};

function specJsonSchema() {
  const { $schema, ...spec } = zodToJsonSchema(serviceDefinitionSpecSchema, {
    target: 'jsonSchema7',
    $refStrategy: 'none',
  }) as Record<string, unknown>;
  return spec;
}

export type { DefinitionProblem } from './resources';

/** A problem in words that say what to change; an unknown field is a problem of its own. */
/** The fields the object at `path` of `schema` has, to suggest one for a misspelt field. */
function fieldsAt(schema: z.ZodTypeAny, path: (string | number)[]): string[] {
  let at: z.ZodTypeAny | undefined = schema;
  for (let i = 0; at && i <= path.length; ) {
    if (
      at instanceof z.ZodOptional ||
      at instanceof z.ZodNullable ||
      at instanceof z.ZodDefault
    )
      at = at._def.innerType;
    else if (at instanceof z.ZodEffects) at = at._def.schema;
    else if (i === path.length)
      return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
    else if (at instanceof z.ZodObject) at = at.shape[path[i++]];
    else if (at instanceof z.ZodArray || at instanceof z.ZodRecord) {
      at = at instanceof z.ZodArray ? at.element : at.valueSchema;
      i++;
    } else if (at instanceof z.ZodDiscriminatedUnion) {
      const key = path[i];
      at = (at.options as z.ZodObject<z.ZodRawShape>[]).find(
        o => key in o.shape,
      );
    } else return [];
  }
  return [];
}

function problemsOf(issue: z.ZodIssue): DefinitionProblem[] {
  const path = ['spec', ...issue.path].join('.');
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map(key => ({
      path: `${path}.${key}`,
      message: `unknown field ${key}${didYouMean(
        key,
        fieldsAt(serviceDefinitionSpecSchema, issue.path),
      )}: remove it or check its spelling`,
    }));
  if (issue.code === 'invalid_union_discriminator')
    return [{ path, message: `must be 'automated' or 'manual'` }];
  return [{ path, message: issue.message }];
}

/**
 * Validates a definition's spec, every problem at once: its structure, and each stack resource
 * against its kind among `kinds` (the built-in ones and those modules add).
 */
export function validateServiceDefinitionSpec(
  spec: unknown,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
):
  | { valid: true; spec: ServiceDefinitionSpec }
  | { valid: false; problems: DefinitionProblem[] } {
  const result = serviceDefinitionSpecSchema.safeParse(spec);
  const problems = result.success
    ? []
    : result.error.issues.flatMap(problemsOf);
  const resources = (
    spec as {
      fulfilment?: { automated?: { stack?: { resources?: unknown } } };
    } | null
  )?.fulfilment?.automated?.stack?.resources;
  problems.push(
    ...parameterProblems(spec),
    ...stackResourceProblems(
      resources,
      'spec.fulfilment.automated.stack.resources',
      kinds,
    ),
  );
  if (result.success && !problems.length)
    return { valid: true, spec: result.data };
  return { valid: false, problems };
}
