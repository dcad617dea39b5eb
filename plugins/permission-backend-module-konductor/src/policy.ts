import type { Config } from '@backstage/config';
import type { UserInfoService } from '@backstage/backend-plugin-api';
import { kubernetesProxyPermission } from '@backstage/plugin-kubernetes-common';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import { auditReadPermission } from '@konductor/plugin-audit-common';
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import {
  taskCancelPermission,
  taskReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  complianceExemptionApprovePermission,
  complianceExemptionCreatePermission,
  complianceExemptionDeletePermission,
} from '@konductor/plugin-compliance-common';
import {
  ENVIRONMENTS,
  RESOURCE_TYPE_PROVISIONING_STACK,
  definitionPublishPermission,
  definitionUnpublishPermission,
  provisioningApprovalDecidePermission,
  provisioningApprovalReadPermission,
  provisioningApprovalWithdrawPermission,
  provisioningBudgetUpdatePermission,
  provisioningChangeWindowUpdatePermission,
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
  provisioningStackCreatePermission,
  provisioningStackDestroyPermission,
  provisioningStackOutputsReadPermission,
  provisioningStackReadPermission,
  provisioningStackUpdatePermission,
} from '@konductor/plugin-provisioning-common';
import {
  createDefinitionPublicationConditionalDecision,
  createProvisioningApprovalConditionalDecision,
  createProvisioningStackConditionalDecision,
  definitionPublicationConditions,
  provisioningApprovalConditions,
  provisioningStackConditions,
} from '@konductor/plugin-provisioning-node';

type Environment = (typeof ENVIRONMENTS)[number];

/** What members of a stack's owner group may do to it, each one a permission. */
export const OWNER_ACTIONS = {
  'read-outputs': provisioningStackOutputsReadPermission,
  change: provisioningStackUpdatePermission,
  cancel: provisioningRunCancelPermission,
  retry: provisioningRunRetryPermission,
  destroy: provisioningStackDestroyPermission,
} as const;
/** A name of {@link OWNER_ACTIONS}. */
export type OwnerAction = keyof typeof OWNER_ACTIONS;

/** The policy's settings (`konductor.permissions`). */
export interface KonductorPolicyOptions {
  /** Entity refs whose members (or who) may do everything: platform admins. */
  admins: string[];
  /** Entity refs whose members (or who) publish service definitions and templates. */
  templateAuthors: string[];
  /** What an owner group's members may do to its stacks. */
  ownerActions: OwnerAction[];
  /** Per owner action, environments where only admins may do it. */
  adminOnly: Partial<Record<OwnerAction, Environment[]>>;
  /** Whether users see other groups' stacks and runs (status, graph, log; never outputs). */
  othersSeeStacks: boolean;
}

/** Reads `konductor.permissions`; every setting has a default (no admins, owners may do all). */
export function policyOptionsFromConfig(
  config: Config,
): KonductorPolicyOptions {
  const c = config.getOptionalConfig('konductor.permissions');
  const adminOnly: KonductorPolicyOptions['adminOnly'] = {};
  const adminOnlyConfig = c?.getOptionalConfig('adminOnly');
  for (const action of adminOnlyConfig?.keys() ?? []) {
    if (!(action in OWNER_ACTIONS))
      throw new Error(
        `konductor.permissions.adminOnly.${action}: not an owner action; use one of ${Object.keys(
          OWNER_ACTIONS,
        ).join(', ')}`,
      );
    adminOnly[action as OwnerAction] = adminOnlyConfig!.getStringArray(
      action,
    ) as Environment[];
  }
  const ownerActions = (c?.getOptionalStringArray('ownerActions') ??
    Object.keys(OWNER_ACTIONS)) as OwnerAction[];
  const unknown = ownerActions.filter(a => !(a in OWNER_ACTIONS));
  if (unknown.length)
    throw new Error(
      `konductor.permissions.ownerActions: ${unknown.join(
        ', ',
      )} is not an owner action; use ${Object.keys(OWNER_ACTIONS).join(', ')}`,
    );
  return {
    admins: c?.getOptionalStringArray('admins') ?? [],
    templateAuthors: c?.getOptionalStringArray('templateAuthors') ?? [],
    ownerActions,
    adminOnly,
    othersSeeStacks: c?.getOptionalBoolean('othersSeeStacks') ?? true,
  };
}

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

/**
 * Konductor's permission policy. Platform admins (members of `admins`) may do everything. On
 * stacks, members of the owner group may create stacks for their group and do the configured
 * owner actions on its stacks (outside the environments reserved to admins); everyone signed in
 * sees what exists and its status. Exemptions are requested and withdrawn by the entity's owners
 * and approved by admins; scaffolder tasks (whose logs and outputs carry stack outputs) are read
 * and cancelled by the user who started them; catalog entities are deleted by their owners; the
 * Kubernetes proxy is for admins; service definitions and templates are published by template
 * authors. A run waiting for approval is decided by one of its approvers
 * (admins may decide any), and never by whoever asked for it, admins included; it is seen by its
 * requester and approvers, and withdrawn by its requester alone. Everything else is allowed, as Backstage's defaults are.
 */
export class KonductorPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly options: KonductorPolicyOptions,
    /** Who the user is and the groups they are in, from their credentials. */
    private readonly userInfo: UserInfoService,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const info = user && (await this.userInfo.getUserInfo(user.credentials));
    const claims = info?.ownershipEntityRefs ?? [];
    const admin = claims.some(c => this.options.admins.includes(c));
    const { permission } = request;

    // Separation of duties, before anything admins may do: nobody decides their own request.
    if (isPermission(permission, provisioningApprovalDecidePermission)) {
      if (!info) return DENY;
      const notOwn = {
        not: provisioningApprovalConditions.isRequester({
          userRef: info.userEntityRef,
        }),
      };
      return createProvisioningApprovalConditionalDecision(
        permission,
        admin
          ? notOwn
          : {
              allOf: [
                provisioningApprovalConditions.isApprover({ claims }),
                notOwn,
              ],
            },
      );
    }
    // A request is withdrawn by whoever asked for it alone: anyone else rejects it, saying why.
    if (isPermission(permission, provisioningApprovalWithdrawPermission))
      return info
        ? createProvisioningApprovalConditionalDecision(
            permission,
            provisioningApprovalConditions.isRequester({
              userRef: info.userEntityRef,
            }),
          )
        : DENY;
    if (admin) return ALLOW;
    if (isPermission(permission, provisioningApprovalReadPermission))
      return info
        ? createProvisioningApprovalConditionalDecision(permission, {
            anyOf: [
              provisioningApprovalConditions.isApprover({ claims }),
              provisioningApprovalConditions.isRequester({
                userRef: info.userEntityRef,
              }),
            ],
          })
        : DENY;

    if (isResourcePermission(permission, RESOURCE_TYPE_PROVISIONING_STACK)) {
      const owned = provisioningStackConditions.isStackOwner({ claims });
      if (isPermission(permission, provisioningStackReadPermission))
        return this.options.othersSeeStacks
          ? ALLOW
          : createProvisioningStackConditionalDecision(permission, owned);
      if (isPermission(permission, provisioningStackCreatePermission))
        return createProvisioningStackConditionalDecision(permission, owned);
      const action = (Object.keys(OWNER_ACTIONS) as OwnerAction[]).find(a =>
        isPermission(permission, OWNER_ACTIONS[a]),
      );
      if (!action || !this.options.ownerActions.includes(action)) return DENY;
      const reserved = this.options.adminOnly[action] ?? [];
      return createProvisioningStackConditionalDecision(
        permission,
        reserved.length
          ? {
              allOf: [
                owned,
                {
                  not: provisioningStackConditions.isInEnvironment({
                    environments: reserved,
                  }),
                },
              ],
            }
          : owned,
      );
    }

    if (
      isResourcePermission(permission, 'catalog-entity') &&
      (isPermission(permission, complianceExemptionCreatePermission) ||
        isPermission(permission, complianceExemptionDeletePermission) ||
        isPermission(permission, catalogEntityDeletePermission))
    )
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    if (isPermission(permission, complianceExemptionApprovePermission))
      return DENY;
    // What becomes a form that provisions is published by template authors (and admins).
    if (isPermission(permission, definitionPublishPermission))
      return claims.some(c => this.options.templateAuthors.includes(c))
        ? ALLOW
        : DENY;
    // ... and unpublished by whoever published it, while still a template author.
    if (isPermission(permission, definitionUnpublishPermission))
      return info && claims.some(c => this.options.templateAuthors.includes(c))
        ? createDefinitionPublicationConditionalDecision(
            permission,
            definitionPublicationConditions.isPublisher({
              userRef: info.userEntityRef,
            }),
          )
        : DENY;
    // A catalog location holds whatever its file lists, whoever owns it (another team's
    // components, a template author's published definitions): unregistering one is an admin's.
    // Owners delete an orphaned entity of theirs (catalog.entity.delete, above); Unpublish
    // removes a publication's location after its own check.
    if (isPermission(permission, catalogLocationDeletePermission)) return DENY;
    // The Kubernetes proxy sends any request (a pod's log, as well as a delete) to any cluster
    // with the portal's credentials, whoever owns what it touches: admins only.
    if (isPermission(permission, kubernetesProxyPermission)) return DENY;
    // Who did what, everywhere, with each request's details: admins only.
    if (isPermission(permission, auditReadPermission)) return DENY;
    // Budgets, quotas and freezes bind every team: admins set them.
    if (
      isPermission(permission, provisioningBudgetUpdatePermission) ||
      isPermission(permission, provisioningChangeWindowUpdatePermission)
    )
      return DENY;

    if (
      isResourcePermission(permission, 'scaffolder-task') &&
      (isPermission(permission, taskReadPermission) ||
        isPermission(permission, taskCancelPermission))
    )
      return info
        ? createScaffolderTaskConditionalDecision(
            permission,
            scaffolderTaskConditions.isTaskOwner({
              createdBy: [info.userEntityRef],
            }),
          )
        : DENY;

    return ALLOW;
  }
}
