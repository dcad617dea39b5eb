import { ConfigReader } from '@backstage/config';
import type { UserInfoService } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import type { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  definitionPublishPermission,
  definitionUnpublishPermission,
  provisioningApprovalDecidePermission,
  provisioningApprovalReadPermission,
  provisioningApprovalWithdrawPermission,
  provisioningBudgetUpdatePermission,
  provisioningChangeWindowUpdatePermission,
  provisioningRunRetryPermission,
  provisioningStackDestroyPermission,
  provisioningStackReadPermission,
  provisioningStackUpdatePermission,
} from '@konductor/plugin-provisioning-common';
import { KonductorPermissionPolicy, policyOptionsFromConfig } from './policy';

/** The groups of each user, as the catalog would give them (through UserInfoService). */
const groups: Record<string, string[]> = {
  'user:default/alice': ['group:default/team-a'],
  'user:default/carol': ['group:default/platform-admins'],
  'user:default/bob': ['group:default/team-b'],
};
const userInfo: UserInfoService = {
  getUserInfo: async credentials => {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups[ref]] };
  },
};
const userIn = (ref: string): PolicyQueryUser =>
  ({ credentials: mockCredentials.user(ref) } as PolicyQueryUser);
const alice = userIn('user:default/alice');
const carol = userIn('user:default/carol');
const bob = userIn('user:default/bob');
const policyWith = (permissions: object) =>
  new KonductorPermissionPolicy(
    policyOptionsFromConfig(new ConfigReader({ konductor: { permissions } })),
    userInfo,
  );
const owned = {
  rule: 'IS_STACK_OWNER',
  resourceType: 'provisioning-stack',
  params: { claims: ['user:default/alice', 'group:default/team-a'] },
};

describe('KonductorPermissionPolicy', () => {
  it("lets everyone see stacks, or with othersSeeStacks off only their groups'", async () => {
    const query = { permission: provisioningStackReadPermission };
    expect(await policyWith({}).handle(query, alice)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policyWith({ othersSeeStacks: false }).handle(query, alice),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'provisioning',
      resourceType: 'provisioning-stack',
      conditions: owned,
    });
  });

  it('reserves owner actions to admins in the configured environments, and denies those not granted', async () => {
    const policy = policyWith({
      admins: ['group:default/platform-admins'],
      adminOnly: { destroy: ['prod'] },
      ownerActions: ['change', 'destroy'],
    });
    expect(
      await policy.handle(
        { permission: provisioningStackDestroyPermission },
        alice,
      ),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        allOf: [
          owned,
          {
            not: {
              rule: 'IS_IN_ENVIRONMENT',
              params: { environments: ['prod'] },
            },
          },
        ],
      },
    });
    expect(
      await policy.handle(
        { permission: provisioningStackUpdatePermission },
        alice,
      ),
    ).toMatchObject({ result: AuthorizeResult.CONDITIONAL, conditions: owned });
    const retry = { permission: provisioningRunRetryPermission };
    expect(await policy.handle(retry, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle(retry, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it("keeps the Kubernetes proxy (logs, and any write to any cluster) to admins; the Kubernetes view's reads are everyone's", async () => {
    const policy = policyWith({ admins: ['group:default/platform-admins'] });
    const proxy = { permission: kubernetesProxyPermission };
    expect(await policy.handle(proxy, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle(proxy, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle(
        { permission: kubernetesResourcesReadPermission },
        alice,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('keeps removing catalog locations to admins; owners delete their own entities', async () => {
    const policy = policyWith({ admins: ['group:default/platform-admins'] });
    const remove = { permission: catalogLocationDeletePermission };
    expect(await policy.handle(remove, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle(remove, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle({ permission: catalogEntityDeletePermission }, bob),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: ['user:default/bob', 'group:default/team-b'] },
      },
    });
  });

  it('lets template authors and admins publish definitions, and nobody else', async () => {
    const publish = { permission: definitionPublishPermission };
    const policy = policyWith({
      admins: ['group:default/platform-admins'],
      templateAuthors: ['group:default/team-a'],
    });
    expect(await policy.handle(publish, alice)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await policy.handle(publish, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await policy.handle(publish, bob)).toEqual({
      result: AuthorizeResult.DENY,
    });
    // No template authors configured: admins alone.
    expect(
      await policyWith({ admins: ['group:default/platform-admins'] }).handle(
        publish,
        alice,
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('lets whoever published a URL unpublish it while a template author, and admins any', async () => {
    const unpublish = { permission: definitionUnpublishPermission };
    const policy = policyWith({
      admins: ['group:default/platform-admins'],
      templateAuthors: ['group:default/team-a'],
    });
    expect(await policy.handle(unpublish, alice)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'konductor-publication',
      conditions: {
        rule: 'IS_PUBLISHER',
        resourceType: 'konductor-publication',
        params: { userRef: 'user:default/alice' },
      },
    });
    expect(await policy.handle(unpublish, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    // Not (or no longer) a template author: not even what they published once.
    expect(await policy.handle(unpublish, bob)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it.each([
    ['budgets and quotas', provisioningBudgetUpdatePermission],
    ['change windows', provisioningChangeWindowUpdatePermission],
  ])('lets admins alone set %s', async (_what, permission) => {
    const policy = policyWith({ admins: ['group:default/platform-admins'] });
    const set = { permission };
    expect(await policy.handle(set, alice)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle(set, carol)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('lets approvers, and admins, decide a request, but never whoever asked for it; requesters and approvers see it', async () => {
    const policy = policyWith({ admins: ['group:default/platform-admins'] });
    const notOwn = (userRef: string) => ({
      not: {
        rule: 'IS_REQUESTER',
        resourceType: 'provisioning-approval',
        params: { userRef },
      },
    });
    const decide = { permission: provisioningApprovalDecidePermission };
    // An admin too: their own request is not theirs to decide.
    expect(await policy.handle(decide, carol)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'provisioning',
      resourceType: 'provisioning-approval',
      conditions: notOwn('user:default/carol'),
    });
    expect(await policy.handle(decide, alice)).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        allOf: [
          {
            rule: 'IS_APPROVER',
            params: { claims: ['user:default/alice', 'group:default/team-a'] },
          },
          notOwn('user:default/alice'),
        ],
      },
    });
    expect(
      await policy.handle(
        { permission: provisioningApprovalReadPermission },
        alice,
      ),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        anyOf: [
          { rule: 'IS_APPROVER' },
          { rule: 'IS_REQUESTER', params: { userRef: 'user:default/alice' } },
        ],
      },
    });
    expect(
      await policy.handle(
        { permission: provisioningApprovalReadPermission },
        carol,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    // Withdrawn by whoever asked alone, admins included.
    for (const [user, ref] of [
      [alice, 'user:default/alice'],
      [carol, 'user:default/carol'],
    ] as const)
      expect(
        await policy.handle(
          { permission: provisioningApprovalWithdrawPermission },
          user,
        ),
      ).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'provisioning',
        resourceType: 'provisioning-approval',
        conditions: {
          rule: 'IS_REQUESTER',
          resourceType: 'provisioning-approval',
          params: { userRef: ref },
        },
      });
  });

  it('refuses settings that name no owner action, saying which to use', () => {
    expect(() =>
      policyOptionsFromConfig(
        new ConfigReader({
          konductor: { permissions: { adminOnly: { delete: ['prod'] } } },
        }),
      ),
    ).toThrow(
      'konductor.permissions.adminOnly.delete: not an owner action; use one of read-outputs, change, cancel, retry, destroy',
    );
    expect(() =>
      policyOptionsFromConfig(
        new ConfigReader({
          konductor: { permissions: { ownerActions: ['change', 'nuke'] } },
        }),
      ),
    ).toThrow(/nuke is not an owner action/);
  });
});
