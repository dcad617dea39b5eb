import type { ResourceContext } from '../provider';

/** The tags (or Kubernetes annotations) that tie a cloud resource to a stack, an owner and a run. */
export const OWNERSHIP_TAGS = {
  stack: 'konductor:stack',
  resource: 'konductor:resource',
  owner: 'konductor:owner',
  /** The run that created the resource: set once at creation, never changed by adoption. */
  run: 'konductor:run',
} as const;

/**
 * What names the cloud resources of `ctx`'s resource after the stack id: a resource named after
 * its kind keeps the suffix Konductor always gave it (`db` for `database`), so stacks created
 * before resources had names are found again; a named one (`orders-db`) uses its name.
 */
export const nameSuffix = (ctx: ResourceContext, kindSuffix: string) =>
  ctx.name === ctx.resource.kind ? kindSuffix : ctx.name;

/** `<stackId>-<suffix>`: the name of `ctx`'s resource's main cloud resource. */
export const cloudName = (ctx: ResourceContext, kindSuffix: string) =>
  `${ctx.stackId}-${nameSuffix(ctx, kindSuffix)}`;

/** Tags tying a resource created now to its (stack, resource name), its owner and this run. */
export function stackTags(ctx: ResourceContext): Record<string, string> {
  return {
    [OWNERSHIP_TAGS.stack]: ctx.stackId,
    [OWNERSHIP_TAGS.resource]: ctx.name,
    'konductor:environment': ctx.spec.environment,
    [OWNERSHIP_TAGS.owner]: ctx.spec.owner ?? '',
    [OWNERSHIP_TAGS.run]: ctx.runId,
    'managed-by': 'konductor',
  };
}

/**
 * Kubernetes annotation keys cannot hold `:`; in-cluster objects carry the ownership tags as
 * `konductor.dev/<name>` annotations.
 */
const annotationKey = (tag: string) =>
  tag.replace('konductor:', 'konductor.dev/');

/** The ownership tags among `tags`, as Kubernetes annotations. */
export function ownershipAnnotations(
  tags: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.values(OWNERSHIP_TAGS).map(tag => [annotationKey(tag), tags[tag]]),
  );
}

/** The ownership tags a Kubernetes object's annotations carry. */
export function ownershipOf(
  annotations: Record<string, string> = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.values(OWNERSHIP_TAGS)
      .filter(tag => annotations[annotationKey(tag)] !== undefined)
      .map(tag => [tag, annotations[annotationKey(tag)]]),
  );
}

/** Tags as the list EC2, RDS and Secrets Manager take. */
export const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Tags as a record, from the list shapes of EC2, RDS and Secrets Manager (EKS already has one). */
export function tagRecord(
  tags?: { Key?: string; Value?: string }[] | Record<string, string>,
): Record<string, string> {
  if (!tags) return {};
  if (!Array.isArray(tags)) return tags;
  return Object.fromEntries(
    tags.filter(t => t.Key).map(t => [t.Key!, t.Value ?? '']),
  );
}

/** Thrown when a resource Konductor would adopt belongs to another stack or owner. */
export class NotOwnedError extends Error {
  name = 'NotOwnedError';
}

/**
 * Why a resource carrying `tags` is not provably this stack's and this owner's, or undefined when
 * it is.
 */
export function ownershipProblem(
  tags: Record<string, string>,
  ctx: ResourceContext,
): string | undefined {
  const stack = tags[OWNERSHIP_TAGS.stack];
  if (stack !== ctx.stackId)
    return stack
      ? `it belongs to stack ${stack}`
      : 'it carries no Konductor stack tag';
  const owner = tags[OWNERSHIP_TAGS.owner];
  if (!owner) return 'it carries no owner tag, so nothing proves whose it is';
  if (owner !== ctx.spec.owner)
    return `it is owned by ${owner}, not ${ctx.spec.owner}`;
  return undefined;
}

/** Whether a resource carrying `tags` is provably this stack's and this owner's. */
export function isOwned(
  tags: Record<string, string>,
  ctx: ResourceContext,
): boolean {
  return !ownershipProblem(tags, ctx);
}

/**
 * Adopts an existing resource only when its tags say this stack and this owner; otherwise throws
 * a {@link NotOwnedError} that says what to change.
 */
export function adopt(
  ctx: ResourceContext,
  what: string,
  tags: Record<string, string>,
): void {
  const problem = ownershipProblem(tags, ctx);
  if (problem)
    throw new NotOwnedError(
      `${what} already exists and ${problem}: Konductor adopts only resources tagged with this stack and owner (${ctx.stackId}, ${ctx.spec.owner}); choose another stack name`,
    );
  ctx.progress(`adopting ${what}`);
}

/**
 * Why the removal in progress must leave a resource carrying `tags` in place, or undefined when
 * it may delete it: it must be this stack's and this owner's, and, in a rollback, created by the
 * run being rolled back.
 */
export function keepReason(
  tags: Record<string, string>,
  ctx: ResourceContext,
): string | undefined {
  const problem = ownershipProblem(tags, ctx);
  if (problem) return problem;
  const onlyRun = ctx.removal?.createdByRun;
  if (onlyRun && tags[OWNERSHIP_TAGS.run] !== onlyRun)
    return 'this run did not create it (it was adopted)';
  return undefined;
}
