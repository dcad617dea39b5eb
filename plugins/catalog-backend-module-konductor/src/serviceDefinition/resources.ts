import { z } from 'zod/v3';
import {
  RESOURCE_NAME,
  type AnyKindDefinition,
  type ResourceKinds,
} from '@konductor/plugin-provisioning-common';

/** One problem of a definition: the field and what to change. */
export interface DefinitionProblem {
  path: string;
  message: string;
}

/** Whether `value` is, or holds, a template expression: its value is known only when it runs. */
const isExpression = (value: unknown) =>
  typeof value === 'string' && value.includes('${{');

/** The fields a kind's schema knows, through its refinements. */
function fieldsOf(schema: z.ZodTypeAny): string[] {
  let s = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** The edit distance of two words, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length];
}

/**
 * ` (did you mean x?)` for the known word closest to `word`: one that begins the other
 * (cidrBlock, cidr), or one a typo or two away (instanceClas, instanceClass; nmae, name).
 */
export function didYouMean(word: string, known: string[]): string {
  const w = word.toLowerCase();
  const prefix = known.find(k => {
    const l = k.toLowerCase();
    return (
      Math.min(l.length, w.length) >= 3 && (w.startsWith(l) || l.startsWith(w))
    );
  });
  const close = known
    .map(k => ({ k, d: distance(word, k) }))
    .sort((x, y) => x.d - y.d)[0];
  const best =
    close &&
    close.d <= (word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 4)))
      ? close.k
      : prefix;
  return best ? ` (did you mean ${best}?)` : '';
}

/** The value at `path` in `value`, or where an expression stands in for it. */
function at(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (isExpression(v) || v === null || typeof v !== 'object') return v;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** What is wrong with one resource of a kind, relative to the resource. */
function resourceProblems(
  definition: AnyKindDefinition,
  fields: Record<string, unknown>,
  path: string,
): DefinitionProblem[] {
  const parsed = definition.schema.safeParse(fields);
  if (parsed.success) return [];
  const known = fieldsOf(definition.schema);
  const problems: DefinitionProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const where = [path, ...issue.path].join('.');
      for (const key of issue.keys)
        problems.push({
          path: `${where}.${key}`,
          message: `unknown field ${key}${
            issue.path.length ? '' : didYouMean(key, known)
          }: ${definition.title} has ${
            issue.path.length ? 'no such field' : known.join(', ')
          }`,
        });
      continue;
    }
    // A value written as an expression is checked when the template runs, with the form's values.
    if (isExpression(at(fields, issue.path))) continue;
    problems.push({
      path: [path, ...issue.path].join('.'),
      message: issue.message,
    });
  }
  return problems;
}

/**
 * What is wrong with a definition's stack resources (`resources` at `path`): names that are not
 * resource names, kinds that no installed module adds, and each resource checked against its
 * kind's schema: unknown fields (with the closest known one), missing fields and wrong values.
 * Values written as expressions are left to the run, which checks them with the form's values.
 */
export function stackResourceProblems(
  resources: unknown,
  path: string,
  kinds: ResourceKinds,
): DefinitionProblem[] {
  if (!resources || typeof resources !== 'object' || Array.isArray(resources))
    return [];
  const known = kinds.list().map(d => d.kind);
  const problems: DefinitionProblem[] = [];
  for (const [name, resource] of Object.entries(resources)) {
    const where = `${path}.${name}`;
    if (!RESOURCE_NAME.test(name)) {
      problems.push({
        path: where,
        message: `"${name}" is not a resource name: use lower-case letters, digits and single dashes, starting with a letter (orders-db)`,
      });
      continue;
    }
    if (!resource || typeof resource !== 'object' || Array.isArray(resource))
      continue; // an expression, or the stack's schema says what it should be
    const { kind: declared, ...fields } = resource as Record<string, unknown>;
    if (isExpression(declared)) continue;
    const kind = declared ?? name;
    const definition = typeof kind === 'string' ? kinds.get(kind) : undefined;
    if (!definition) {
      problems.push(
        declared === undefined
          ? {
              path: where,
              message: `"${name}" is not a kind (${known.join(
                ', ',
              )}): add kind: <kind>, or name it after its kind (another kind needs the module that adds it installed)`,
            }
          : {
              path: `${where}.kind`,
              message: `unknown kind ${String(kind)}${didYouMean(
                String(kind),
                known,
              )}: use one of ${known.join(
                ', ',
              )} (another kind needs the module that adds it installed)`,
            },
      );
      continue;
    }
    problems.push(...resourceProblems(definition, fields, where));
  }
  return problems;
}
