/** Configuration the provisioning frontend reads (the scaffolder form's pickers). */
export interface Config {
  konductor?: {
    provisioning?: {
      /**
       * The AWS accounts and regions stacks may be provisioned in: the form's account and
       * region picker offers them, and konductor:stack:provision (in the scaffolder backend module)
       * refuses any other. Unset or empty: nothing is provisioned (the portal fails closed
       * and the backend says so in its log at start).
       * @visibility frontend
       */
      accounts?: Array<{
        /** @visibility frontend */
        accountId: string;
        /** A name people recognise, such as "Payments production". @visibility frontend */
        title?: string;
        /** @visibility frontend */
        regions: string[];
      }>;
    };
  };
}
