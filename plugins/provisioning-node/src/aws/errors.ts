/** The name of an AWS SDK error (its exception type), or ''. */
export const errorName = (e: unknown) => (e as { name?: string })?.name ?? '';

/** Whether an AWS error says the thing asked about does not exist (any service's spelling). */
export const notFound = (e: unknown) =>
  /NotFound|ResourceNotFoundException/.test(errorName(e));

/** Stands for every service's not-found error in {@link ignoring}. */
export const NOT_FOUND = 'NotFound';

/**
 * An AWS error: the SDK's exception class where the service's model declares it
 * (`InvalidDBInstanceStateFault` of `@aws-sdk/client-rds`), so its name is checked when compiling;
 * else the error code as the service documents it (EC2 declares none: `RouteAlreadyExists`).
 */
export type AwsErrorKind = string | (abstract new (...args: any[]) => Error);

/** Whether `e` is one of the errors `kinds` name ({@link NOT_FOUND}: any not-found error). */
export const isAwsError = (e: unknown, ...kinds: AwsErrorKind[]) =>
  kinds.some(k => {
    if (typeof k !== 'string') return e instanceof k;
    return k === NOT_FOUND ? notFound(e) : errorName(e) === k;
  });

/**
 * A rejection handler that swallows the AWS errors named, answering undefined, and rethrows every
 * other: `.catch(ignoring(InvalidDBInstanceStateFault, NOT_FOUND))`.
 */
export const ignoring =
  (...kinds: AwsErrorKind[]) =>
  (e: unknown): undefined => {
    if (isAwsError(e, ...kinds)) return undefined;
    throw e;
  };
