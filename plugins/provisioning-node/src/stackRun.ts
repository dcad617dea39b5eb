import type {
  ProvisioningEvent,
  ResourceKind,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import { stackIdFor } from '@konductor/plugin-provisioning-common';
import type { CloudProvider, ResourceOutputs } from './provider';

/** Runs `fn` once per key across re-runs of a task (the action's `ctx.checkpoint`). */
export type Checkpoint = <T extends ResourceOutputs>(
  key: string,
  fn: () => Promise<T>,
) => Promise<T>;

/** Options of {@link provisionStack} and {@link destroyStack}. */
export interface StackRunOptions {
  /** The stack; it must name its `owner`, whose tags every resource carries. */
  spec: StackSpec;
  provider: CloudProvider;
  /**
   * The run's id: resources this run creates are tagged with it, and a rollback deletes only
   * those. A resumed or retried task is the same run.
   */
  runId: string;
  /** Receives every state change; the action forwards them to the task log and the runs backend. */
  onEvent(event: ProvisioningEvent): void;
  /** Cancellation of the task. */
  signal?: AbortSignal;
}

/** Thrown when a stack could not be provisioned; says what was rolled back or retained. */
export class StackProvisioningError extends Error {
  name = 'StackProvisioningError';
  constructor(
    message: string,
    readonly cause: Error,
    readonly rolledBack: ResourceKind[],
    /** Resources left in place: retained on purpose, or kept by the rollback (with why in the message). */
    readonly retained: ResourceKind[],
    readonly cancelled: boolean,
  ) {
    super(message);
  }
}

/** `<name>-<environment>`: the prefix of every cloud resource of a stack. */
export const stackIdOf = (spec: StackSpec) =>
  stackIdFor(spec.name, spec.environment);

/** Refuses a stack without an owner: nothing could prove later whose its resources are. */
export function requireOwner(spec: StackSpec) {
  if (!spec.owner)
    throw new Error(
      `Stack ${stackIdOf(
        spec,
      )} names no owner: set owner to the group that owns it, such as group:default/team-a`,
    );
}

/** Stamps and sends the run's events. */
export function emitter(onEvent: StackRunOptions['onEvent']) {
  return (
    status: ProvisioningEvent['status'],
    message: string,
    extra: Partial<ProvisioningEvent> = {},
  ) => onEvent({ at: new Date().toISOString(), status, message, ...extra });
}
