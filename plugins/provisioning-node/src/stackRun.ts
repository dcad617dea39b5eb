import type {
  ProvisioningEvent,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import { stackIdFor } from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  RemovalScope,
  ResourceContext,
  ResourceOutputs,
} from './provider';

/** Runs `fn` once per key across re-runs of a task (the action's `ctx.checkpoint`). */
export type Checkpoint = <T extends ResourceOutputs>(
  key: string,
  fn: () => Promise<T>,
) => Promise<T>;

/** Options of {@link provisionStack} and {@link destroyStack}. */
export interface StackRunOptions {
  /** The stack; it must name its `owner`, whose tags every resource carries. */
  spec: StackSpec;
  /** Creates the resources; the stack's kinds are its kinds. */
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
    readonly rolledBack: string[],
    /** Resources left in place: retained on purpose, or kept by the rollback (with why in the message). */
    readonly retained: string[],
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

/** What the provider is told about the resource `name` of the stack. */
export function resourceContext(
  options: Pick<StackRunOptions, 'spec' | 'runId'>,
  name: string,
  run: {
    signal: AbortSignal;
    /** The outputs of the resources it depends on, by name. */
    outputs: Record<string, ResourceOutputs>;
    removal?: RemovalScope;
    progress(detail: string): void;
  },
): ResourceContext {
  const { spec } = options;
  const { outputs } = run;
  return {
    ...run,
    spec,
    name,
    resource: spec.resources[name],
    stackId: stackIdOf(spec),
    runId: options.runId,
    deadline: Date.now() + spec.timeoutMinutes * 60_000,
    dependency(definition) {
      const found = Object.keys(outputs).filter(
        n => spec.resources[n]?.kind === definition.kind,
      );
      if (found.length !== 1)
        throw new Error(
          `${name} needs the outputs of one ${definition.kind}; it has ${
            found.length ? found.join(', ') : 'none'
          }`,
        );
      return outputs[found[0]] as any;
    },
  };
}
