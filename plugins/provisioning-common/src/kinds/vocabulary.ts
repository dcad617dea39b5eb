/** The resource kinds every Konductor installation has, in the order a template author reads them. */
export const BUILT_IN_KINDS = [
  'network',
  'database',
  'secrets',
  'cluster',
  'app',
] as const;
/** A built-in resource kind. Modules register further kinds (see `ResourceKinds`). */
export type BuiltInKind = (typeof BUILT_IN_KINDS)[number];

/**
 * A resource's name in its stack: lower-case letters, digits and dashes, starting with a letter.
 * It is the key under `resources`, the id in events and the suffix of its catalog entity. A
 * resource named after a kind (`database:`) is of that kind unless it says otherwise.
 */
export const RESOURCE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** The longest resource name. */
export const RESOURCE_NAME_MAX = 20;

/**
 * A reference to another resource's output: `${orders-db.endpoint}`. References can stand in any
 * string value of the app's environment and make the referencing resource depend on the other.
 */
export const OUTPUT_REFERENCE =
  /\$\{\s*([a-z][a-z0-9-]*)\.([A-Za-z][A-Za-z0-9]*)\s*\}/g;
