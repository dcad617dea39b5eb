import type { ProvisioningEvent } from '@konductor/plugin-provisioning-common';

/** The run a reporter is told about. */
export interface ProvisioningRunInfo {
  /** The scaffolder task the run belongs to. */
  taskId: string;
  /** `<name>-<environment>`. */
  stackId: string;
  /** The user who started the task, as an entity ref, when known. */
  startedBy?: string;
}

/**
 * Receives a run's structured events as they happen. The stack actions always mirror events
 * into the task log; a reporter sends them further, for example to the provisioning runs backend.
 * `report` must not throw and must keep events in order (buffering and retrying as needed).
 */
export interface ProvisioningReporter {
  report(run: ProvisioningRunInfo, event: ProvisioningEvent): void;
  /** Resolves once every reported event has been delivered (or given up on). */
  flush(run: ProvisioningRunInfo): Promise<void>;
}
