import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import type {
  StackPermissionQuery,
  StackPermissionResource,
} from '@konductor/plugin-provisioning-node';

type StackPermission = ResourcePermission<'provisioning-stack'>;

/**
 * Decides `provisioning-stack` permissions through the permission framework: the policy answers
 * allow, deny or conditions, and conditions are applied here with the registered rules, to one
 * stack in memory or to a whole query as SQL criteria.
 */
export class StackAccess {
  private readonly authorizer: ReturnType<
    typeof createConditionAuthorizer<StackPermissionResource>
  >;
  private readonly transformer: ReturnType<
    typeof createConditionTransformer<StackPermissionQuery>
  >;

  constructor(
    private readonly permissions: PermissionsService,
    ruleset: PermissionRuleset<
      StackPermissionResource,
      StackPermissionQuery,
      'provisioning-stack'
    >,
  ) {
    this.authorizer = createConditionAuthorizer(ruleset);
    this.transformer = createConditionTransformer(ruleset);
  }

  /** Whether `credentials` hold `permission` on each of `stacks`. */
  async allows(
    credentials: BackstageCredentials,
    permission: StackPermission,
    stacks: StackPermissionResource[],
  ): Promise<boolean[]> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    return stacks.map(stack => this.authorizer(decision, stack));
  }

  /** Whether `credentials` hold each of `permissions` on `stack`, decided in one request. */
  async decide(
    credentials: BackstageCredentials,
    permissions: StackPermission[],
    stack: StackPermissionResource,
  ): Promise<boolean[]> {
    const decisions = await this.permissions.authorizeConditional(
      permissions.map(permission => ({ permission })),
      { credentials },
    );
    return decisions.map(decision => this.authorizer(decision, stack));
  }

  /** Throws a NotAllowedError with `message` unless `credentials` hold `permission` on `stack`. */
  async require(
    credentials: BackstageCredentials,
    permission: StackPermission,
    stack: StackPermissionResource,
    message: string,
  ): Promise<void> {
    const [allowed] = await this.allows(credentials, permission, [stack]);
    if (!allowed) throw new NotAllowedError(message);
  }

  /**
   * Which stacks `credentials` hold `permission` on, as criteria over the `owner` and
   * `environment` columns: `'all'`, `'none'`, or the criteria.
   */
  async criteria(
    credentials: BackstageCredentials,
    permission: StackPermission,
  ): Promise<'all' | 'none' | PermissionCriteria<StackPermissionQuery>> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.CONDITIONAL)
      return this.transformer(decision.conditions);
    return decision.result === AuthorizeResult.ALLOW ? 'all' : 'none';
  }
}
