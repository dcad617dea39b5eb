/** Configuration the provisioning frontend reads (the scaffolder form's pickers and expiry). */
export interface Config {
  konductor?: {
    provisioning?: {
      /**
       * The cloud accounts and regions stacks may be provisioned in: the form's AWS account
       * and region picker offers the AWS ones, and konductor:stack:provision (in the scaffolder
       * backend module) refuses any other target. Unset or empty: nothing is provisioned (the portal fails closed
       * and the backend says so in its log at start).
       * @visibility frontend
       */
      accounts?: Array<{
        /** The cloud provider of the account; default aws. @visibility frontend */
        provider?: string;
        /** @visibility frontend */
        accountId: string;
        /** A name people recognise, such as "Payments production". @visibility frontend */
        title?: string;
        /** @visibility frontend */
        regions: string[];
      }>;
      /**
       * Expiry of dev and staging stacks, as the form's Expires field and the stack page's Extend
       * check it (the provisioning backend decides again, with the same settings).
       */
      expiry?: {
        /**
         * Days after creation at which a dev or staging stack expires when its form gives no
         * date; unset, such a stack does not expire.
         * @visibility frontend
         */
        defaultDays?: number;
        /**
         * The latest expiry a stack may be given, in days ahead (default 30).
         * @visibility frontend
         */
        maxDays?: number;
      };
    };
  };
}
