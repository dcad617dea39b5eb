import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_STACK,
  ANNOTATION_STACK_REF,
  type StackKey,
} from '@konductor/plugin-provisioning-common';

/**
 * The stack an entity belongs to: a generated component names it (`konductor.dev/stack-ref`);
 * the stack's System and Resources, which the catalog makes from its runs, carry its id, account
 * and region. Undefined for any other entity.
 */
export function stackKeyOf(entity: Entity): StackKey | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const ref = annotations[ANNOTATION_STACK_REF]?.split('/');
  if (ref?.length === 3) {
    const [accountId, region, stackId] = ref;
    return { accountId, region, stackId };
  }
  const [stackId, accountId, region] = [
    annotations[ANNOTATION_STACK],
    annotations[ANNOTATION_AWS_ACCOUNT],
    annotations[ANNOTATION_AWS_REGION],
  ];
  return stackId && accountId && region
    ? { accountId, region, stackId }
    : undefined;
}
