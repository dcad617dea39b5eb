import type { JsonValue } from '@backstage/types';

/** `value` as JSON with every object's keys sorted, so that equal values compare equal. */
export function canonicalJson(value: JsonValue | undefined): string {
  const sorted = (v: JsonValue | undefined): JsonValue => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map(k => [k, sorted(v[k])]),
      );
    return v === undefined ? null : v;
  };
  return JSON.stringify(sorted(value));
}

/** The paths at which `before` and `after` differ, such as `rules[1].to` or `admins`. */
export function changedPaths(
  before: JsonValue,
  after: JsonValue,
  path = '',
): string[] {
  const isObject = (v: JsonValue): v is { [k: string]: JsonValue } =>
    !!v && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length !== after.length) return [path || '(value)'];
    return before.flatMap((b, i) => changedPaths(b, after[i], `${path}[${i}]`));
  }
  if (isObject(before) && isObject(after))
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .sort()
      .flatMap(k =>
        changedPaths(
          before[k] ?? null,
          after[k] ?? null,
          path ? `${path}.${k}` : k,
        ),
      );
  return canonicalJson(before) === canonicalJson(after)
    ? []
    : [path || '(value)'];
}
