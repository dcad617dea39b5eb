import { z } from 'zod/v3';
import {
  awsTargetSchema,
  StackSpec,
  stackSpecSchema,
  StackTarget,
} from './stackSpec';
import {
  AnyKindDefinition,
  BUILT_IN_RESOURCE_KINDS,
  OUTPUT_REFERENCE,
  RESOURCE_NAME,
  RESOURCE_NAME_MAX,
  ResourceInStack,
  ResourceKinds,
  StackResource,
} from './kinds';

export {
  POSTGRES_VERSIONS,
  KUBERNETES_VERSIONS,
  DATABASE_SECRET_KEYS,
} from './kinds';
export { parseCidr, splitCidr } from './cidr';

/** One problem with a stack spec: where it is and what to change. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** The result of {@link validateStackSpec}. */
export type SpecValidation =
  | { valid: true; spec: StackSpec; problems: [] }
  | { valid: false; problems: SpecProblem[] };

/** Lower-case letters, digits and single dashes, starting with a letter: accepted by every service. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
}

/** The definition of the kind of the resource `name` of a validated spec. */
export function definitionOf(
  spec: StackSpec,
  name: string,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): AnyKindDefinition {
  const kind = spec.resources[name]?.kind;
  const definition = kind === undefined ? undefined : kinds.get(kind);
  if (!definition)
    throw new Error(
      `The stack's resource '${name}' is of kind '${kind}', which is not registered`,
    );
  return definition;
}

/** What a kind's definition sees of its resource `name` in `spec`. */
function inStack(
  spec: StackSpec,
  name: string,
  kinds: ResourceKinds,
): ResourceInStack<any> {
  return {
    name,
    spec: spec.resources[name],
    stack: spec,
    named: kind =>
      Object.keys(spec.resources).filter(n => spec.resources[n].kind === kind),
    outputsOf: other => {
      const kind = spec.resources[other]?.kind;
      const definition = kind === undefined ? undefined : kinds.get(kind);
      return definition && Object.keys(definition.outputs.shape);
    },
    secretsOf: other => {
      const kind = spec.resources[other]?.kind;
      return (kind !== undefined && kinds.get(kind)?.secrets) || [];
    },
  };
}

/**
 * The resources a resource waits for, by name: the stack's one resource of each kind its kind
 * requires, and those its fields refer to.
 */
export function dependenciesOf(
  spec: StackSpec,
  name: string,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): string[] {
  const definition = definitionOf(spec, name, kinds);
  const resource = inStack(spec, name, kinds);
  const required = (definition.requires ?? []).flatMap(kind =>
    resource.named(kind),
  );
  return [
    ...new Set([...required, ...(definition.dependsOn?.(resource) ?? [])]),
  ];
}

/** The resources of a spec, by name, in an order where each comes after its dependencies. */
export function topologicalOrder(
  spec: StackSpec,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): string[] {
  // Built-in kinds in their usual order, then registered ones; names in spec order within a kind.
  const rank = new Map(kinds.list().map((d, i) => [d.kind, i]));
  const present = Object.keys(spec.resources).sort(
    (a, b) =>
      (rank.get(spec.resources[a].kind) ?? 0) -
      (rank.get(spec.resources[b].kind) ?? 0),
  );
  const done: string[] = [];
  while (done.length < present.length) {
    const next = present.filter(
      n =>
        !done.includes(n) &&
        dependenciesOf(spec, n, kinds).every(d => done.includes(d)),
    );
    if (!next.length)
      throw new Error(
        `The stack's resources depend on each other in a cycle: ${present
          .filter(n => !done.includes(n))
          .join(', ')}`,
      );
    done.push(...next);
  }
  return done;
}

/** Replaces `${name.output}` references with values from `outputs` (by resource name). */
export function resolveReferences(
  value: string,
  outputs: Record<string, Record<string, unknown> | undefined>,
): string {
  return value.replace(OUTPUT_REFERENCE, (_, name: string, output: string) => {
    const v = outputs[name]?.[output];
    if (v === undefined)
      throw new Error(
        `The reference \${${name}.${output}} has no value: ${name} has not produced '${output}'`,
      );
    return Array.isArray(v) ? v.join(',') : String(v);
  });
}

/** A zod error's issues as problems under `prefix`. */
const issuesOf = (error: z.ZodError, prefix: string[]): SpecProblem[] =>
  error.issues.map(i => ({
    path: [...prefix, ...i.path].join('.') || '(spec)',
    message:
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.join(
            ', ',
          )}: remove them or check the spelling`
        : i.message,
  }));

/** Each resource of `raw` parsed by its kind's schema; what is wrong goes to `problems`. */
function parseResources(
  raw: Record<string, unknown>,
  kinds: ResourceKinds,
  problems: SpecProblem[],
): Record<string, StackResource> {
  const resources: Record<string, StackResource> = {};
  const registered = kinds
    .list()
    .map(d => d.kind)
    .join(', ');
  for (const [name, value] of Object.entries(raw)) {
    const path = `resources.${name}`;
    if (!RESOURCE_NAME.test(name) || name.length > RESOURCE_NAME_MAX) {
      problems.push({
        path,
        message: `"${name}" is not a resource name: use at most ${RESOURCE_NAME_MAX} lower-case letters, digits and single dashes, starting with a letter, such as orders-db`,
      });
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue; // the stack's schema reports it
    const { kind: declared, ...fields } = value as Record<string, unknown>;
    if (declared !== undefined && typeof declared !== 'string') continue;
    const kind = declared ?? name;
    const definition = kinds.get(kind);
    if (!definition) {
      problems.push(
        declared
          ? {
              path: `${path}.kind`,
              message: `unknown kind '${kind}': use one of ${registered}`,
            }
          : {
              path,
              message: `'${name}' is not a kind: add kind (one of ${registered}) or rename it after its kind`,
            },
      );
      continue;
    }
    const resource = definition.schema.safeParse(fields);
    if (!resource.success) problems.push(...issuesOf(resource.error, [path]));
    else resources[name] = { kind, ...resource.data };
  }
  return resources;
}

/** What {@link validateStackSpec} checks besides each field. */
export interface ValidationOptions {
  /**
   * Whether to check what the resources need of each other (a database needs one network...);
   * default true. A removal, which looks for everything a stack may hold, does not.
   */
  relations?: boolean;
  /**
   * The target schema of the stack's cloud provider (its formats of account and region); default
   * the AWS provider's.
   */
  target?: z.ZodType<StackTarget, z.ZodTypeDef, unknown>;
}

/**
 * The stack's target as written: `target`, or the deprecated `aws: { accountId, region }` read as
 * `target: { provider: aws, ... }`; undefined when it has neither.
 */
export function stackTargetOf(input: unknown): unknown {
  const { target, aws } = (input ?? {}) as { target?: unknown; aws?: unknown };
  if (target !== undefined || aws === undefined || typeof aws !== 'object')
    return target;
  return { provider: 'aws', ...aws };
}

/** The stack's target checked by its provider's schema; what is wrong goes to `problems`. */
function parseTarget(
  input: { target?: unknown; aws?: unknown },
  schema: NonNullable<ValidationOptions['target']>,
  problems: SpecProblem[],
): StackTarget | undefined {
  if (input.target !== undefined && input.aws !== undefined) {
    problems.push({
      path: 'aws',
      message: 'remove it: target says where the stack goes',
    });
    return undefined;
  }
  const raw = stackTargetOf(input);
  if (raw === undefined) {
    problems.push({
      path: 'target',
      message:
        'say where the stack goes, such as target: { provider: aws, accountId: "123456789012", region: us-east-1 }',
    });
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(
    ...issuesOf(parsed.error, [input.target === undefined ? 'aws' : 'target']),
  );
  return undefined;
}

/**
 * Validates a stack spec, reporting every problem at once with the field it concerns and what to
 * change, before any cloud call is made.
 */
export function validateStackSpec(
  input: unknown,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
  options: ValidationOptions = {},
): SpecValidation {
  const parsed = stackSpecSchema.safeParse(input);
  const problems: SpecProblem[] = parsed.success
    ? []
    : issuesOf(parsed.error, []).filter(
        // The provider's schema reports on the target.
        p => !/^(target|aws)\b/.test(p.path),
      );
  const target = parseTarget(
    (input ?? {}) as object,
    options.target ?? awsTargetSchema,
    problems,
  );
  const problem = (path: string, message: string) =>
    problems.push({ path, message });
  // Each resource by its kind's schema, even when other fields are wrong: every problem at once.
  const raw = (input as { resources?: unknown } | undefined)?.resources;
  const resources =
    raw && typeof raw === 'object' && !Array.isArray(raw)
      ? parseResources(raw as Record<string, unknown>, kinds, problems)
      : {};
  if (!parsed.success || !target) return { valid: false, problems };

  const slug = sanitizeName(parsed.data.name);
  if (!slug)
    problem(
      'name',
      `"${parsed.data.name}" has no letters to build resource names from: use lower-case letters, digits and dashes, starting with a letter`,
    );
  else if (slug.length > 40)
    problem(
      'name',
      `"${parsed.data.name}" is ${slug.length} characters after sanitizing; use at most 40 so every cloud resource name fits`,
    );
  if (!Object.keys(parsed.data.resources).length)
    problem(
      'resources',
      `the stack has no resources: add at least one of ${kinds
        .list()
        .map(d => d.kind)
        .join(', ')}`,
    );
  if (problems.length) return { valid: false, problems };

  const { aws: _legacy, ...fields } = parsed.data;
  const spec: StackSpec = { ...fields, target, name: slug, resources };
  if (options.relations === false) return { valid: true, spec, problems: [] };
  for (const name of Object.keys(resources)) {
    const definition = kinds.get(resources[name].kind)!;
    const resource = inStack(spec, name, kinds);
    const path = `resources.${name}`;
    const cloudName = `${slug}-${spec.environment}-${name}`;
    if (cloudName.length > 63)
      problem(
        path,
        `cloud resources are named ${cloudName} (${cloudName.length} characters), longer than the 63 AWS allows: shorten the stack or resource name`,
      );
    const others = resource.named(definition.kind);
    if (definition.onePerStack && others.length > 1 && others[0] === name)
      problem(
        path,
        `a stack holds one ${definition.kind}; it has ${
          others.length
        } (${others.join(', ')}): keep one`,
      );
    for (const kind of definition.requires ?? []) {
      const found = resource.named(kind);
      const needed = kinds.get(kind)?.title ?? kind;
      if (!found.length)
        problem(
          path,
          `${definition.title} needs ${needed}: add resources.${kind}`,
        );
      else if (found.length > 1)
        problem(
          path,
          `${definition.title} needs one ${kind}; the stack has ${
            found.length
          } (${found.join(', ')}): keep one`,
        );
    }
    definition.validate?.(resource, (field, message) =>
      problem(field ? `${path}.${field}` : path, message),
    );
  }
  if (!problems.length) {
    try {
      topologicalOrder(spec, kinds);
    } catch (e) {
      problem('resources', (e as Error).message);
    }
  }
  return problems.length
    ? { valid: false, problems }
    : { valid: true, spec, problems: [] };
}

/** Formats problems as one message that names every field and what to change. */
export function formatProblems(problems: SpecProblem[]): string {
  return `The stack spec has ${problems.length} problem${
    problems.length === 1 ? '' : 's'
  }:\n${problems.map(p => `- ${p.path}: ${p.message}`).join('\n')}`;
}

/** A validated spec, or an error naming every problem (for specs a program wrote). */
export function parseStackSpec(
  input: unknown,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
  options: ValidationOptions = {},
): StackSpec {
  const validation = validateStackSpec(input, kinds, options);
  if (!validation.valid) throw new Error(formatProblems(validation.problems));
  return validation.spec;
}
