import type { ResourceContext } from '../provider';

/** Thrown when a resource a run would adopt is not what the run asks for. */
export class DifferenceError extends Error {
  name = 'DifferenceError';
}

/** One attribute of an existing resource: its spec field, what the spec asks, what exists. */
export type Difference = [field: string, wanted: unknown, actual: unknown];

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Refuses to adopt a resource whose attributes differ from the spec: Konductor does not change a
 * resource in place yet, and a run that adopted it and reported success would show a size and a
 * price that are not real. The error names each field, what exists and what was asked.
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
        ([field, wanted, actual]) =>
          `resources.${ctx.name}.${field} is ${shown(actual)}, not ${shown(
            wanted,
          )}`,
      )
      .join('; ')}. Konductor does not change an existing ${
      ctx.resource.kind
    } in place yet, so nothing was changed: run the stack with the values it has`,
  );
}
