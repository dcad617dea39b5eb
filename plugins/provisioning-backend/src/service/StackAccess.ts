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
import {
  refsOnly,
  type NameOf,
  type Names,
  type StackPermissionQuery,
  type StackPermissionResource,
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
    /** People's and teams' names for refusals, as the catalog presents them; else refs. */
    private readonly names: Names = refsOnly,
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

  /**
   * Throws a NotAllowedError with `refusal`'s message unless `credentials` hold `permission` on
   * `stack`. The message is written only on a refusal, with the names of `refs` (the stack's
   * owner by default), so an allowed request asks the catalog nothing.
   */
  async require(
    credentials: BackstageCredentials,
    permission: StackPermission,
    stack: StackPermissionResource,
    refusal: (name: NameOf) => string,
    refs: string[] = stack.owner ? [stack.owner] : [],
  ): Promise<void> {
    const [allowed] = await this.allows(credentials, permission, [stack]);
    if (!allowed) throw new NotAllowedError(refusal(await this.nameOf(refs)));
  }

  /** The names of `refs` for a refusal's text. */
  async nameOf(refs: string[]): Promise<NameOf> {
    return refs.length ? this.names(refs) : refsOnly(refs);
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
