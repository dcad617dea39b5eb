import { useEffect, useMemo, useRef } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { entityPresentationApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import type { JsonObject } from '@backstage/types';

/** `o/r` of a repository URL as RepoUrlPicker writes it (`host?owner=o&repo=r`), else undefined. */
export function repositoryName(value: string): string | undefined {
  const query = value.match(/^[^?\s]+\?(.+)$/)?.[1];
  if (!query) return undefined;
  const params = new URLSearchParams(query);
  const owner = params.get('owner') ?? params.get('organization');
  const repo = params.get('repo');
  return owner && repo ? `${owner}/${repo}` : undefined;
}

/** Whether `value` is a full entity ref (`kind:namespace/name`), as the entity pickers write. */
const isEntityRef = (value: string) => /^[\w-]+:[\w.-]+\/[\w.-]+$/.test(value);

/** The form's values named by `keys` that are strings, in that order. */
function valuesOf(formData: JsonObject, keys: string[]): [string, string][] {
  return keys.flatMap(key => {
    const value = formData[key];
    return typeof value === 'string' && value ? [[key, value]] : [];
  });
}

/**
 * `KonductorReviewNames`: the review step's readable names for values written for machines. Each
 * property of its schema names a field of the form (titled as the review should show it); its value
 * is that field's value as a person reads it: an entity ref as the catalog presents it ("Team A"),
 * a repository URL as `owner/repo`, anything else as it is. The fields it names set
 * `ui:backstage: { review: { show: false } }`, so the review lists each value once. It shows
 * nothing on its page; until the catalog answers, its value holds the refs themselves (a person
 * who changes the owner and moves on at once may find the ref on the review).
 */
export function ReviewNamesField(
  props: FieldExtensionComponentProps<JsonObject>,
) {
  const { onChange, formContext, schema } = props;
  const presentation = useApi(entityPresentationApiRef);
  const keys = Object.keys(schema.properties ?? {});
  const named = valuesOf((formContext?.formData ?? {}) as JsonObject, keys);
  const key = JSON.stringify(named);
  const values = useMemo(() => JSON.parse(key) as [string, string][], [key]);

  // The names found so far, by value: a value changed on the page does not put back the refs of
  // the others, which a person who moves on at once would find on the review.
  const known = useRef(new Map<string, string>());

  useEffect(() => {
    let cancelled = false;
    const readable = (value: string) =>
      known.current.get(value) ?? repositoryName(value) ?? value;
    onChange(Object.fromEntries(values.map(([k, v]) => [k, readable(v)])));
    Promise.all(
      values.map(async ([k, v]): Promise<[string, string]> => {
        if (!isEntityRef(v) || known.current.has(v)) return [k, readable(v)];
        const { primaryTitle } = await presentation.forEntity(v).promise;
        known.current.set(v, primaryTitle);
        return [k, primaryTitle];
      }),
    ).then(
      entries => {
        if (!cancelled) onChange(Object.fromEntries(entries));
      },
      // The refs stay: the catalog did not answer, and the review still says what is asked.
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
    // onChange changes identity on every render; the names depend on the values only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [presentation, values]);

  return null;
}
