import { z } from 'zod';
import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  DefinitionPublication,
  ENVIRONMENTS,
  ProvisioningRun,
  ProvisioningStack,
  RESOURCE_TYPE_DEFINITION_PUBLICATION,
  RESOURCE_TYPE_PROVISIONING_APPROVAL,
  RESOURCE_TYPE_PROVISIONING_STACK,
} from '@konductor/plugin-provisioning-common';

/**
 * What the `provisioning-stack` rules look at: a recorded stack, or the stack a run belongs to
 * (runs carry their stack's owner and environment).
 */
export interface StackPermissionResource {
  /** `<accountId>/<region>/<stackId>`, when the account is known. */
  ref?: string;
  stackId: string;
  environment: string;
  /** The owner's entity ref; runs recorded before ownership may have none (then no owner rule matches). */
  owner?: string;
}

/** A filter the provisioning backend's stores translate into SQL: `column IN values`. */
export interface StackPermissionQuery {
  column: 'owner' | 'environment';
  values: string[];
}

/** The `provisioning-stack` permission resource type, its resource and its query. */
export const provisioningStackPermissionResourceRef =
  createPermissionResourceRef<
    StackPermissionResource,
    StackPermissionQuery
  >().with({
    pluginId: 'provisioning',
    resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
  });

/** The stack as the rules see it. */
export function stackPermissionResource(
  stack: ProvisioningStack | ProvisioningRun,
): StackPermissionResource {
  return {
    // A recorded stack has its ref; a run has its stack's, unless recorded before ownership.
    ref: 'ref' in stack ? stack.ref : stack.stackRef,
    stackId: stack.stackId,
    environment: stack.environment,
    owner: stack.owner,
  };
}

/** A stack owned by one of `claims` (the user's ownership refs: themselves and their groups). */
export const isStackOwner = createPermissionRule({
  name: 'IS_STACK_OWNER',
  description: 'Allow stacks whose owner is one of the given claims',
  resourceRef: provisioningStackPermissionResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe(
        "Entity refs of which one must be the stack's owner, usually the user's ownership refs",
      ),
  }),
  apply: (stack, { claims }) => !!stack.owner && claims.includes(stack.owner),
  toQuery: ({ claims }) => ({ column: 'owner', values: claims }),
});

/** A stack in one of the given environments. */
export const isInEnvironment = createPermissionRule({
  name: 'IS_IN_ENVIRONMENT',
  description: 'Allow stacks in one of the given environments',
  resourceRef: provisioningStackPermissionResourceRef,
  paramsSchema: z.object({
    environments: z
      .array(z.enum(ENVIRONMENTS))
      .describe('Environments of which one must be the stack’s'),
  }),
  apply: (stack, { environments }) =>
    (environments as string[]).includes(stack.environment),
  toQuery: ({ environments }) => ({
    column: 'environment',
    values: environments,
  }),
});

/** The rules of the `provisioning-stack` resource type. */
export const provisioningStackPermissionRules = {
  isStackOwner,
  isInEnvironment,
};

const conditionExports = createConditionExports({
  resourceRef: provisioningStackPermissionResourceRef,
  rules: provisioningStackPermissionRules,
});

/**
 * Conditions for permission policies: `provisioningStackConditions.isStackOwner({ claims })`,
 * `provisioningStackConditions.isInEnvironment({ environments: ['dev'] })`.
 */
export const provisioningStackConditions = conditionExports.conditions;

/** Wraps conditions on a `provisioning-stack` permission into a policy decision. */
export const createProvisioningStackConditionalDecision =
  conditionExports.createConditionalDecision;

/** What the `provisioning-approval` rules look at: who asked and who may approve. */
export interface ApprovalPermissionResource {
  id: string;
  requestedBy: string;
  approvers: string[];
}

/** Approval requests are filtered in memory (they are few): the query names the rule's values. */
export interface ApprovalPermissionQuery {
  field: 'approvers' | 'requestedBy';
  values: string[];
}

/** The `provisioning-approval` permission resource type, its resource and its query. */
export const provisioningApprovalPermissionResourceRef =
  createPermissionResourceRef<
    ApprovalPermissionResource,
    ApprovalPermissionQuery
  >().with({
    pluginId: 'provisioning',
    resourceType: RESOURCE_TYPE_PROVISIONING_APPROVAL,
  });

/** A request one of `claims` (the user's ownership refs) may approve. */
export const isApprover = createPermissionRule({
  name: 'IS_APPROVER',
  description:
    'Allow approval requests whose approvers include one of the given claims',
  resourceRef: provisioningApprovalPermissionResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe(
        "Entity refs of which one must be among the request's approvers, usually the user's ownership refs",
      ),
  }),
  apply: (request, { claims }) =>
    request.approvers.some(a => claims.includes(a)),
  toQuery: ({ claims }) => ({ field: 'approvers', values: claims }),
});

/** A request `userRef` asked for. */
export const isRequester = createPermissionRule({
  name: 'IS_REQUESTER',
  description: 'Allow approval requests the given user asked for',
  resourceRef: provisioningApprovalPermissionResourceRef,
  paramsSchema: z.object({
    userRef: z.string().describe('The user entity ref, usually the caller'),
  }),
  apply: (request, { userRef }) => request.requestedBy === userRef,
  toQuery: ({ userRef }) => ({ field: 'requestedBy', values: [userRef] }),
});

/** The rules of the `provisioning-approval` resource type. */
export const provisioningApprovalPermissionRules = { isApprover, isRequester };

const approvalConditionExports = createConditionExports({
  resourceRef: provisioningApprovalPermissionResourceRef,
  rules: provisioningApprovalPermissionRules,
});

/**
 * Conditions for permission policies: `provisioningApprovalConditions.isApprover({ claims })`,
 * `provisioningApprovalConditions.isRequester({ userRef })`.
 */
export const provisioningApprovalConditions =
  approvalConditionExports.conditions;

/** Wraps conditions on a `provisioning-approval` permission into a policy decision. */
export const createProvisioningApprovalConditionalDecision =
  approvalConditionExports.createConditionalDecision;

/**
 * The `konductor-publication` permission resource type: a URL published to the catalog (the
 * catalog module keeps them, so its plugin id is the catalog's).
 */
export const definitionPublicationPermissionResourceRef =
  createPermissionResourceRef<
    DefinitionPublication,
    { publishedBy: string[] }
  >().with({
    pluginId: 'catalog',
    resourceType: RESOURCE_TYPE_DEFINITION_PUBLICATION,
  });

/** A URL `userRef` published. */
export const isPublisher = createPermissionRule({
  name: 'IS_PUBLISHER',
  description: 'Allow publications the given user published',
  resourceRef: definitionPublicationPermissionResourceRef,
  paramsSchema: z.object({
    userRef: z.string().describe('The user entity ref, usually the caller'),
  }),
  apply: (publication, { userRef }) => publication.publishedBy === userRef,
  toQuery: ({ userRef }) => ({ publishedBy: [userRef] }),
});

const publicationConditionExports = createConditionExports({
  resourceRef: definitionPublicationPermissionResourceRef,
  rules: { isPublisher },
});

/** Conditions for permission policies: `definitionPublicationConditions.isPublisher({ userRef })`. */
export const definitionPublicationConditions =
  publicationConditionExports.conditions;

/** Wraps conditions on a `konductor-publication` permission into a policy decision. */
export const createDefinitionPublicationConditionalDecision =
  publicationConditionExports.createConditionalDecision;
