import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  konductor?: {
    catalog?: {
      /**
       * Owner of the entities of a provisioned stack whose runs name no owner and no starter.
       * Default: group:default/platform-team.
       */
      defaultOwner?: string;
      /**
       * How often the provisioned-resources provider re-reads every run (it also refreshes when
       * a run ends). Default: every 10 minutes, 15 seconds after start.
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** EKS cluster discovery: clusters become Resource entities of type kubernetes-cluster. */
      eks?: {
        /**
         * The accounts and regions to list clusters in; credentials per account come from the
         * `aws` section (`@backstage/integration-aws-node`). None: no discovery.
         */
        accounts?: Array<{ accountId: string; regions: string[] }>;
        /** How often to re-list. Default: every 30 minutes, 20 seconds after start. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
