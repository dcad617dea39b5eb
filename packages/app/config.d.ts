/** Configuration Konductor's app reads. */
export interface Config {
  konductor?: {
    /**
     * The local sandbox that emulates AWS, GitHub, Jira and Kubernetes. When set, the portal
     * talks to the sandbox instead of real services, and the UI says so on every page.
     */
    sandbox?: {
      /**
       * Base URL of the sandbox, for example http://127.0.0.1:4566.
       * @visibility frontend
       */
      url: string;
    };
    /** The sign-in page. */
    signIn?: {
      /**
       * The providers it offers, in order: `github` (auth.providers.github) and `guest`
       * (auth.providers.guest; development only). Default: guest.
       * @visibility frontend
       */
      providers?: Array<'github' | 'guest'>;
    };
  };
}
