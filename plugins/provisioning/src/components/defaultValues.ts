import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import type { JsonObject, JsonValue } from '@backstage/types';

/** A form's values when nobody changed anything, and what they had to be completed with. */
export interface DefaultValues {
  values: JsonObject;
  /** Required fields with no default, filled with a sample (by title): the plan shows what it used. */
  samples: { title: string; value: JsonValue }[];
  /** Required fields with neither a default nor a possible sample (by title): no plan without them. */
  missing: string[];
}

/** Names tried, in order, for a required text field without a default. */
const SAMPLE_TEXTS = ['example', 'example-1'];

/** Whether `value` satisfies a text field's own constraints. */
function fits(schema: JsonObject, value: string): boolean {
  if (
    typeof schema.pattern === 'string' &&
    !new RegExp(schema.pattern).test(value)
  )
    return false;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength)
    return false;
  return !(
    typeof schema.maxLength === 'number' && value.length > schema.maxLength
  );
}

/** A value for a required field that has no default, where one can be made up honestly. */
function sampleOf(schema: JsonObject): JsonValue | undefined {
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  // A picker's value must be something in the catalog: nothing is made up for it.
  if (schema['ui:field'] && String(schema['ui:field']).endsWith('Picker'))
    return undefined;
  if (schema.type === 'boolean') return false;
  if (schema.type === 'number' || schema.type === 'integer')
    return typeof schema.minimum === 'number' ? schema.minimum : 0;
  if (schema.type === 'string')
    return SAMPLE_TEXTS.find(text => fits(schema, text));
  return undefined;
}

/**
 * The values a template's form holds when it is opened and left as it is: each field's
 * default; a required field without one gets a sample that passes its own checks (the first
 * choice of a list, `example` for a name) or, when none can be made up (a picker of catalog
 * entities), is reported missing.
 */
export function defaultValues(template: TemplateEntityV1beta3): DefaultValues {
  const result: DefaultValues = { values: {}, samples: [], missing: [] };
  const pages = [template.spec.parameters ?? []].flat() as JsonObject[];
  for (const page of pages) {
    const properties = (page.properties ?? {}) as Record<string, JsonObject>;
    const required = new Set((page.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(properties)) {
      if (schema.default !== undefined) {
        result.values[name] = schema.default;
        continue;
      }
      if (!required.has(name)) continue;
      const title = String(schema.title ?? name);
      const sample = sampleOf(schema);
      if (sample === undefined) result.missing.push(title);
      else {
        result.values[name] = sample;
        result.samples.push({ title, value: sample });
      }
    }
  }
  return result;
}
