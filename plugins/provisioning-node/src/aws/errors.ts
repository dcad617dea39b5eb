/** The name of an AWS SDK error (its exception type), or ''. */
export const errorName = (e: unknown) => (e as { name?: string })?.name ?? '';

/** Whether an AWS error says the thing asked about does not exist (any service's spelling). */
export const notFound = (e: unknown) =>
  /NotFound|ResourceNotFoundException/.test(errorName(e));

/** Stands for every service's not-found error in {@link ignoring}. */
export const NOT_FOUND = 'NotFound';

/**
 * A rejection handler that swallows the AWS errors named (with {@link NOT_FOUND}, any not-found
 * error), answering undefined, and rethrows every other: `.catch(ignoring('RouteAlreadyExists'))`.
 */
export const ignoring =
  (...names: string[]) =>
  (e: unknown): undefined => {
    if (names.includes(errorName(e))) return undefined;
    if (names.includes(NOT_FOUND) && notFound(e)) return undefined;
    throw e;
  };
