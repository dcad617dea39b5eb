import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  konductor?: {
    compliance?: {
      /**
       * The level entities are held to unless they name one in the
       * konductor.dev/compliance-level annotation: low, moderate (default) or high.
       */
      defaultLevel?: 'low' | 'moderate' | 'high';
      /** Full evaluation, every fact read live again. Default: every hour. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** Evaluation of the entities that changed in the catalog. Default: every 30 seconds. */
      changes?: SchedulerServiceTaskScheduleDefinitionConfig;
      exemptions?: {
        /** The longest an exemption may last, in days from its request. Default: 90. */
        maxDays?: number;
      };
    };
  };
}
