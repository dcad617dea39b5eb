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
    };
  };
}
