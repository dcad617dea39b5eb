/** Configuration of Konductor's provisioning backend. */
export interface Config {
  konductor?: {
    provisioning?: {
      /**
       * The run reconciler: a run that has been quiet this long is checked against its scaffolder
       * task, and ended when the task has ended without it.
       */
      reconciler?: {
        /** Seconds without a write after which a running run is checked (default 60). */
        quietSeconds?: number;
        /** Seconds between sweeps (default 60); one replica sweeps at a time. */
        intervalSeconds?: number;
      };
      /**
       * Expiry of dev and staging stacks (prod stacks never expire): their owners are notified a
       * day and an hour before, then the stack is destroyed as by *Destroy*.
       */
      expiry?: {
        /**
         * Days after creation at which a dev or staging stack expires when its form gives no
         * date; unset, such a stack does not expire.
         * @visibility frontend
         */
        defaultDays?: number;
        /**
         * The latest expiry a stack may be given (at creation or by *Extend*), in days from then
         * (default 30).
         * @visibility frontend
         */
        maxDays?: number;
        /** Seconds between sweeps of expiring stacks (default 60); one replica sweeps at a time. */
        intervalSeconds?: number;
        /** The template whose task destroys an expired stack (default template:default/destroy-stack). */
        destroyTemplate?: string;
      };
      /**
       * Monthly cost budgets (USD) and stack quotas per group and environment. An entry without
       * an owner is every group's in its environment; one with an owner is that group's. An admin's
       * setting in the portal wins over both. A request that would go over is refused with the
       * numbers; the group is notified when its stacks reach 80 % and 100 % of its budget.
       */
      budgets?: Array<{
        /** A group entity ref such as group:default/team-a; unset: every group. */
        owner?: string;
        /** dev, staging or prod. */
        environment: string;
        /** The monthly cost budget in USD; unset: no budget. */
        monthlyCost?: number;
        /** How many stacks the group may have there; unset: no quota. */
        stacks?: number;
      }>;
      /**
       * Stack runs that wait for a person's approval before anything is created, changed or
       * destroyed. A waiting run holds no scaffolder worker: its task ends, and is resumed when
       * the request is approved. Without rules, no run needs approval.
       */
      approvals?: {
        /** Hours a request waits before it expires undecided; default 72. */
        expiresAfterHours?: number;
        /** Seconds between sweeps that expire requests and resume approved ones; default 30. */
        intervalSeconds?: number;
        /** A run needs approval when any rule matches it; its approvers are every matching rule's. */
        rules?: Array<{
          /** Why the rule asks for approval, as the requester and approvers read it. */
          description: string;
          /** dev, staging or prod; unset: every environment. */
          environments?: string[];
          /** provision (a new stack), change or destroy; unset: every operation. */
          operations?: string[];
          /** Matches a run that takes its owner over their budget or stack quota, which then waits for approval instead of being refused. */
          overBudget?: boolean;
          /**
           * A change window (a freeze): the rule matches only from this time (ISO 8601 with its
           * offset) until `to`. In a window, its approvers alone may let a run through.
           */
          from?: string;
          /** The end of the change window. */
          to?: string;
          /**
           * A change window that comes back every week (instead of from and to), for example
           * weekend nights: it opens on each of `days` (sun, mon, tue, wed, thu, fri, sat) at
           * `from` (HH:MM, local time in `timeZone`, default UTC) and closes at `to`, the same day,
           * or the next day when `to` is not after `from`.
           */
          every?: {
            days: string[];
            from: string;
            to: string;
            timeZone?: string;
          };
          /**
           * Who may approve: group or user entity refs, or `owner` for the members of the stack's
           * owner group. The requester never may.
           */
          approvers: string[];
        }>;
      };
    };
  };
}
