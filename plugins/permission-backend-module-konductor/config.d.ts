/** Configuration of Konductor's permission policy. */
export interface Config {
  konductor?: {
    permissions?: {
      /**
       * Entity refs of the groups (or users) whose members are platform admins: they may do
       * everything, and only they may approve compliance exemptions. Default: nobody.
       */
      admins?: string[];
      /**
       * Entity refs of the groups (or users) whose members are template authors: they publish
       * service definitions and templates from URLs (`konductor.definition.publish`), as platform
       * admins do, and unpublish what they published (`konductor.definition.unpublish`). Default:
       * nobody.
       */
      templateAuthors?: string[];
      /**
       * What members of a stack's owner group may do to its stacks: read-outputs, change, cancel,
       * retry, destroy. Default: all of them. Creating a stack for one's own group is always
       * allowed; for another group never (admins excepted).
       */
      ownerActions?: Array<
        'read-outputs' | 'change' | 'cancel' | 'retry' | 'destroy'
      >;
      /**
       * Per owner action, the environments in which only admins may do it, for example
       * `destroy: [prod]`. Default: none.
       */
      adminOnly?: {
        'read-outputs'?: Array<'dev' | 'staging' | 'prod'>;
        change?: Array<'dev' | 'staging' | 'prod'>;
        cancel?: Array<'dev' | 'staging' | 'prod'>;
        retry?: Array<'dev' | 'staging' | 'prod'>;
        destroy?: Array<'dev' | 'staging' | 'prod'>;
      };
      /**
       * Whether signed-in users see other groups' stacks and runs: that they exist, their status,
       * graph and event log, never their outputs. Default: true.
       */
      othersSeeStacks?: boolean;
      /**
       * Seconds for which each plugin reuses a permission decision that depends only on the
       * caller (the same user's token, or the same service) instead of asking the permission
       * backend again. Decisions about one resource are never reused. Default: 5; 0 turns it off.
       */
      decisionCacheSeconds?: number;
    };
  };
}
