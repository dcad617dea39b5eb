import type { JsonObject, JsonValue } from '@backstage/types';
import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';

/** A field of a template's form, as the developer sees it. */
export interface FormFieldRef {
  /** Its name among the template's parameters. */
  name: string;
  /** Its label (its title, or its name when it has none). */
  title: string;
  /** The title of the form's page it is on. */
  page?: string;
}

/** `${{ parameters.x }}` or `${{ parameters.x.y }}`: the form field x, as it is. */
const PARAMETER =
  /^\$\{\{\s*parameters\.([A-Za-z0-9_-]+)(?:\.[\w.-]+)?\s*\}\}$/;

/**
 * The form field that sets `path` (`resources.cluster.publicEndpoint`) of the stack spec a
 * template's step `stepId` provisions, when the template copies it from one field as it is;
 * undefined when the template fixes or computes it.
 */
export function formFieldOf(
  template: TemplateEntityV1beta3,
  stepId: string,
  path: string,
): FormFieldRef | undefined {
  let value: JsonValue | undefined = template.spec.steps.find(
    s => s.id === stepId,
  )?.input;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value))
      return undefined;
    value = (value as JsonObject)[key];
  }
  const name =
    typeof value === 'string' ? PARAMETER.exec(value)?.[1] : undefined;
  if (!name) return undefined;
  const pages = ([] as JsonObject[]).concat(
    (template.spec.parameters ?? []) as JsonObject | JsonObject[],
  );
  for (const page of pages) {
    const field = (page.properties as JsonObject | undefined)?.[name] as
      | JsonObject
      | undefined;
    if (field)
      return {
        name,
        title: typeof field.title === 'string' ? field.title : name,
        page: typeof page.title === 'string' ? page.title : undefined,
      };
  }
  return undefined;
}
