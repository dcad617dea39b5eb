import { InvalidDBSubnetGroupStateFault } from '@aws-sdk/client-rds';
import type { RemovalResult, ResourceContext } from '../provider';
import type { AwsClients } from './AwsClients';
import { AwsErrorKind, isAwsError, notFound } from './errors';
import { keepReason, tagRecord } from './ownership';

/** Whether the removal in progress may delete `what`, carrying `tags`; records it as kept if not. */
export type MayDelete = (
  what: string,
  tags?: { Key?: string; Value?: string }[] | Record<string, string>,
) => boolean;

/**
 * A removal's bookkeeping: `mayDelete(what, tags)` says whether the removal may delete a resource
 * and, when it may not, records it (once) with the reason as kept.
 */
export function removalOf(ctx: ResourceContext) {
  const kept = new Set<string>();
  const mayDelete: MayDelete = (what, tags) => {
    const reason = keepReason(tagRecord(tags), ctx);
    if (reason) kept.add(`${what}: ${reason}`);
    return !reason;
  };
  return {
    kept,
    mayDelete,
    result: (): RemovalResult => ({ kept: [...kept] }),
  };
}

/**
 * Deletes something that may still be in use for a moment (DependencyViolation, or a service's
 * own "in use" errors named in `inUse`); gone is done.
 */
export async function retryDependency(
  aws: AwsClients,
  ctx: ResourceContext,
  what: string,
  del: () => Promise<unknown>,
  inUse: readonly AwsErrorKind[] = [],
) {
  await aws.wait(ctx, `deleting ${what}`, async () => {
    try {
      await del();
      return { done: true };
    } catch (e) {
      if (notFound(e)) return { done: true };
      if (
        isAwsError(
          e,
          'DependencyViolation',
          InvalidDBSubnetGroupStateFault,
          ...inUse,
        )
      )
        return { state: 'in use by another resource' };
      throw e;
    }
  });
}
