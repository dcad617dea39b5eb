import {
  OUTPUT_REFERENCE,
  RESOURCE_KINDS,
  ResourceKind,
  StackSpec,
  stackSpecSchema,
} from './stackSpec';
import { RESOURCE_DEFINITIONS } from './kinds';

export {
  POSTGRES_VERSIONS,
  KUBERNETES_VERSIONS,
  DATABASE_SECRET_KEYS,
  RESOURCE_OUTPUTS,
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

/** The resources a resource waits for: its kind's dependencies in this stack. */
export function dependenciesOf(
  spec: StackSpec,
  kind: ResourceKind,
): ResourceKind[] {
  return RESOURCE_DEFINITIONS[kind].dependsOn(spec);
}

/** The resources of a spec in an order where each comes after its dependencies. */
export function topologicalOrder(spec: StackSpec): ResourceKind[] {
  const present = RESOURCE_KINDS.filter(k => spec.resources[k]);
  const done: ResourceKind[] = [];
  while (done.length < present.length) {
    const next = present.filter(
      k =>
        !done.includes(k) &&
        dependenciesOf(spec, k).every(d => done.includes(d)),
    );
    if (!next.length) throw new Error('The stack has a dependency cycle');
    done.push(...next);
  }
  return done;
}

/** Replaces `${kind.output}` references with values from `outputs`. */
export function resolveReferences(
  value: string,
  outputs: Partial<Record<ResourceKind, Record<string, unknown>>>,
): string {
  return value.replace(
    OUTPUT_REFERENCE,
    (_, kind: ResourceKind, name: string) => {
      const v = outputs[kind]?.[name];
      if (v === undefined)
        throw new Error(
          `The reference \${${kind}.${name}} has no value: ${kind} has not produced '${name}'`,
        );
      return Array.isArray(v) ? v.join(',') : String(v);
    },
  );
}

/**
 * Validates a stack spec, reporting every problem at once with the field it concerns and what to
 * change, before any cloud call is made.
 */
export function validateStackSpec(input: unknown): SpecValidation {
  const parsed = stackSpecSchema.safeParse(input);
  if (!parsed.success) {
    return {
      valid: false,
      problems: parsed.error.issues.map(i => ({
        path: i.path.join('.') || '(spec)',
        message:
          i.code === 'unrecognized_keys'
            ? `unknown field(s) ${i.keys.join(
                ', ',
              )}: remove them or check the spelling`
            : i.message,
      })),
    };
  }
  const spec = parsed.data;
  const problems: SpecProblem[] = [];
  const problem = (path: string, message: string) =>
    problems.push({ path, message });
  const r = spec.resources;

  const slug = sanitizeName(spec.name);
  if (!slug)
    problem(
      'name',
      `"${spec.name}" has no letters to build resource names from: use lower-case letters, digits and dashes, starting with a letter`,
    );
  else if (slug.length > 40)
    problem(
      'name',
      `"${spec.name}" is ${slug.length} characters after sanitizing; use at most 40 so every cloud resource name fits`,
    );
  if (!RESOURCE_KINDS.some(k => r[k]))
    problem(
      'resources',
      'the stack has no resources: add at least one of network, database, secrets, cluster, app',
    );

  for (const kind of RESOURCE_KINDS)
    if (r[kind]) RESOURCE_DEFINITIONS[kind].validate(spec, problem);

  return problems.length
    ? { valid: false, problems }
    : { valid: true, spec: { ...spec, name: slug }, problems: [] };
}

/** Formats problems as one message that names every field and what to change. */
export function formatProblems(problems: SpecProblem[]): string {
  return `The stack spec has ${problems.length} problem${
    problems.length === 1 ? '' : 's'
  }:\n${problems.map(p => `- ${p.path}: ${p.message}`).join('\n')}`;
}
