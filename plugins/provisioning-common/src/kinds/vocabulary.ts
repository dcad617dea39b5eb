/** The resource kinds of a stack, in the order a template author reads them. */
export const RESOURCE_KINDS = [
  'network',
  'database',
  'secrets',
  'cluster',
  'app',
] as const;
/** A resource kind; in a stack spec the kind is also the resource's id. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * A reference to another resource's output: `${database.endpoint}`. References can stand in any
 * string value of the app's environment and make the referencing resource depend on the other.
 */
export const OUTPUT_REFERENCE = /\$\{\s*([a-z]+)\.([A-Za-z][A-Za-z0-9]*)\s*\}/g;
