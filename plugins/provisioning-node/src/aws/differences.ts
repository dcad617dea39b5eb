import type { ResourceContext } from '../provider';

/** Thrown when a resource a run would adopt is not what the run asks for. */
export class DifferenceError extends Error {
  name = 'DifferenceError';
}

/**
 * One attribute of an existing resource: its spec field, what the spec asks, what exists, and
 * (when the kind changes other attributes in place) why this one cannot be.
 */
export type Difference = [
  field: string,
  wanted: unknown,
  actual: unknown,
  why?: string,
];

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Refuses to adopt a resource whose attributes differ from the spec where they cannot be changed
 * in place: a run that adopted it and reported success would show a size and a price that are not
 * real. The error names each field, what exists, what was asked and, when given, why it cannot
 * change.
 */
export function refuseDifferences(
  ctx: ResourceContext,
  what: string,
  attributes: Difference[],
): void {
  const differ = attributes.filter(([, wanted, actual]) => wanted !== actual);
  if (!differ.length) return;
  throw new DifferenceError(
    `${what} already exists, and not as this run asks: ${differ
      .map(
        ([field, wanted, actual, why]) =>
          `resources.${ctx.name}.${field} is ${shown(actual)}, not ${shown(
            wanted,
          )}${why ? ` (${why})` : ''}`,
      )
      .join('; ')}. ${
      differ.some(d => d[3])
        ? 'Nothing was changed: run the stack with the values it has, or make a new resource under another name'
        : `Konductor does not change an existing ${ctx.resource.kind} in place yet, so nothing was changed: run the stack with the values it has`
    }`,
  );
}
