import { STACK_CHANGE_PARAMETER } from '@konductor/plugin-provisioning-common';
import { DefinitionProblem, didYouMean } from './resources';

/** The form field of a generated stack form that sets the stack's expiry. */
export const EXPIRY_PARAMETER = 'expiresAt';

/**
 * A use of a dependency's output in the fulfilment: `dependencies.<definition name>.<resource>.<output>`
 * inside a `${{ }}` expression, such as `${{ dependencies.private-network.network.vpcId }}`.
 */
const DEPENDENCY_REFERENCE =
  /\bdependencies\.([A-Za-z0-9_-]+)(?:\.([a-z][a-z0-9-]*)(?=\.[A-Za-z]))?/g;
export const EXPRESSION = /\$\{\{[\s\S]*?\}\}/g;

/**
 * `text` with each dependency reference inside its `${{ }}` expressions replaced by what
 * `replace` returns for it (the whole reference, the dependency's name, the resource).
 */
export function replaceDependencyReferences(
  text: string,
  replace: (ref: string, name: string, resource?: string) => string,
): string {
  return text.replace(EXPRESSION, expression =>
    expression.replace(DEPENDENCY_REFERENCE, replace),
  );
}

/** The name part of a `servicedefinition:[namespace/]name` ref. */
export const dependencyName = (ref: string) => ref.replace(/^.*[:/]/, '');

/** Every string in `value`, with its path. */
export function* stringsIn(
  value: unknown,
  path: (string | number)[],
): Generator<[string, (string | number)[]]> {
  if (typeof value === 'string') yield [value, path];
  else if (Array.isArray(value))
    for (const [i, v] of value.entries()) yield* stringsIn(v, [...path, i]);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      yield* stringsIn(v, [...path, k]);
}

/** The form fields the generated Template adds to a definition's own. */
const GENERATED_FIELDS = [EXPIRY_PARAMETER, STACK_CHANGE_PARAMETER];

/** A use of a form field in an expression: `parameters.x`, `parameters['x']`, `parameters["x"]`. */
const PARAMETER_REFERENCE =
  /\bparameters(?:\.([A-Za-z_$][\w$-]*)|\[\s*['"]([^'"]+)['"]\s*\])/g;

/** Every field name a form's JSON Schema defines, at any depth (conditional fields included). */
function fieldsOf(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) fieldsOf(s, into);
  else if (schema && typeof schema === 'object')
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const field of Object.keys(value)) into.add(field);
      fieldsOf(value, into);
    }
  return into;
}

/**
 * The expressions of a definition's fulfilment that read a form field the form does not have
 * (`${{ parameters.nmae }}`): each named with its path, the closest field and the form's fields.
 */
export function parameterProblems(spec: unknown): DefinitionProblem[] {
  const { parameters, fulfilment, dependsOn } = (spec ?? {}) as {
    parameters?: unknown;
    fulfilment?: unknown;
    dependsOn?: unknown;
  };
  if (!parameters || typeof parameters !== 'object') return []; // the schema says what is missing
  const own = [...fieldsOf(parameters)];
  const known = new Set([
    ...own,
    ...GENERATED_FIELDS,
    ...(Array.isArray(dependsOn) ? dependsOn : [])
      .filter((d): d is string => typeof d === 'string')
      .map(d => `dependency-${dependencyName(d)}`),
  ]);
  const problems: DefinitionProblem[] = [];
  for (const [text, path] of stringsIn(fulfilment, ['spec', 'fulfilment']))
    for (const expression of text.match(EXPRESSION) ?? [])
      for (const match of expression.matchAll(PARAMETER_REFERENCE)) {
        const field = match[1] ?? match[2];
        if (known.has(field)) continue;
        problems.push({
          path: path.join('.'),
          message: `uses parameters.${field}, but the form has no field ${field}${didYouMean(
            field,
            own,
          )}: add it to spec.parameters or use one of ${own.join(', ')}`,
        });
      }
  return problems;
}
