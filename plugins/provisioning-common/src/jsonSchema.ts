import { zodToJsonSchema } from 'zod-to-json-schema';
import { stackSpecSchema } from './stackSpec';
import { BUILT_IN_RESOURCE_KINDS, ResourceKinds } from './kinds';

const toJsonSchema = (schema: Parameters<typeof zodToJsonSchema>[0]) =>
  zodToJsonSchema(schema, { $refStrategy: 'none' }) as Record<string, any>;

/**
 * The stack spec as JSON Schema (draft 7), for editors, docs and form generation: each resource
 * is one of the kinds' schemas, with its optional `kind`; `target` is required there (the
 * deprecated `aws` section, still read, is marked deprecated).
 */
export function stackSpecJsonSchemaOf(kinds: ResourceKinds) {
  const schema = toJsonSchema(stackSpecSchema);
  const { $schema: _, ...resources } = schema.properties.resources;
  return {
    ...schema,
    title: 'Konductor stack spec',
    required: [...schema.required, 'target'],
    properties: {
      ...schema.properties,
      aws: { ...schema.properties.aws, deprecated: true },
      resources: {
        ...resources,
        additionalProperties: {
          anyOf: kinds.list().map(d => {
            const { $schema: __, ...kind } = toJsonSchema(d.schema);
            return {
              ...kind,
              title: d.kind,
              description: `${d.title} (kind: ${d.kind})`,
              properties: {
                kind: { const: d.kind },
                ...kind.properties,
              },
            };
          }),
        },
      },
    },
  };
}

/** The stack spec of the built-in kinds as JSON Schema. */
export const stackSpecJsonSchema = stackSpecJsonSchemaOf(
  BUILT_IN_RESOURCE_KINDS,
);
