import {
  ProvisioningEvent,
  ResourceKind,
  ResourceStatus,
  StackSpec,
  dependenciesOf,
  planStack,
  stackIdFor,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  RemovalScope,
  ResourceContext,
  ResourceOutputs,
} from './provider';
import { CancelledError } from './waitFor';

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
function requireOwner(spec: StackSpec) {
  if (!spec.owner)
    throw new Error(
      `Stack ${stackIdOf(
        spec,
      )} names no owner: set owner to the group that owns it, such as group:default/team-a`,
    );
}

function emitter(onEvent: StackRunOptions['onEvent']) {
  return (
    status: ProvisioningEvent['status'],
    message: string,
    extra: Partial<ProvisioningEvent> = {},
  ) => onEvent({ at: new Date().toISOString(), status, message, ...extra });
}

/**
 * Provisions a stack: every resource after its dependencies, independent branches in parallel,
 * each completed resource checkpointed (and verified on a re-run, so a rolled-back or deleted
 * resource is created again). On a permanent failure or cancellation, in-flight work is stopped
 * and what this run touched is rolled back in reverse dependency order, or retained.
 */
export async function provisionStack(
  options: StackRunOptions & { checkpoint: Checkpoint },
): Promise<Partial<Record<ResourceKind, ResourceOutputs>>> {
  const { spec, provider, checkpoint, runId } = options;
  requireOwner(spec);
  const emit = emitter(options.onEvent);
  const stackId = stackIdOf(spec);
  const order = topologicalOrder(spec);
  const outputs: Partial<Record<ResourceKind, ResourceOutputs>> = {};
  const state = new Map<
    ResourceKind,
    'pending' | 'running' | 'done' | 'failed'
  >(order.map(k => [k, 'pending']));
  const attempted: ResourceKind[] = [];
  // Kinds this attempt created or re-created (not resumed from a checkpoint). What depends on one
  // does not trust its own checkpoint: it was built on the dependency as it was before (a
  // re-created database has a new password, so the secrets and the app must be applied again).
  const renewed = new Set<ResourceKind>();
  const running = new Map<ResourceKind, Promise<void>>();
  // Aborted on cancellation and on the first failure, so in-flight waits stop early.
  const work = new AbortController();
  const onCancel = () => work.abort();
  options.signal?.addEventListener('abort', onCancel);
  if (options.signal?.aborted) work.abort();
  let failure: Error | undefined;

  const contextFor = (
    kind: ResourceKind,
    signal: AbortSignal,
    started: number,
  ): ResourceContext => ({
    spec,
    stackId,
    runId,
    signal,
    outputs: Object.fromEntries(
      dependenciesOf(spec, kind).map(d => [d, outputs[d]]),
    ),
    deadline: Date.now() + spec.timeoutMinutes * 60_000,
    progress: detail =>
      emit('waiting', `${kind}: ${detail}`, {
        resource: kind,
        detail,
        elapsedMs: Date.now() - started,
      }),
  });

  const start = (kind: ResourceKind) => {
    state.set(kind, 'running');
    attempted.push(kind);
    const started = Date.now();
    emit('creating', `${kind}: creating`, { resource: kind });
    const ctx = contextFor(kind, work.signal, started);
    const run = (async () => {
      let fresh = false;
      let result = await checkpoint(
        `konductor.stack.${stackId}.${kind}`,
        async () => {
          fresh = true;
          return provider.create(kind, ctx);
        },
      );
      const stale = dependenciesOf(spec, kind).filter(d => renewed.has(d));
      if (!fresh && stale.length) {
        emit(
          'creating',
          `${kind}: checkpointed, but ${stale.join(
            ', ',
          )} changed since: applying it again`,
          { resource: kind },
        );
        result = await provider.create(kind, ctx);
        fresh = true;
      } else if (!fresh && !(await provider.exists(kind, ctx, result))) {
        emit(
          'creating',
          `${kind}: checkpointed but no longer present, creating again`,
          { resource: kind },
        );
        result = await provider.create(kind, ctx);
        fresh = true;
      }
      if (fresh) renewed.add(kind);
      outputs[kind] = result;
      state.set(kind, 'done');
      emit(
        'ready',
        `${kind}: ready in ${Math.round((Date.now() - started) / 100) / 10}s${
          fresh ? '' : ' (resumed from checkpoint)'
        }`,
        {
          resource: kind,
          outputs: result,
          elapsedMs: Date.now() - started,
        },
      );
    })()
      .catch((e: Error) => {
        state.set(kind, 'failed');
        const cancelled = e instanceof CancelledError || work.signal.aborted;
        if (!failure) failure = e;
        emit(
          'failed',
          `${kind}: ${cancelled ? 'stopped' : 'failed'}: ${e.message}`,
          { resource: kind, error: e.message, elapsedMs: Date.now() - started },
        );
        work.abort();
      })
      .finally(() => running.delete(kind));
    running.set(kind, run);
  };

  emit(
    'run-started',
    `Provisioning stack ${stackId} in ${spec.aws.accountId}/${
      spec.aws.region
    }: ${order.join(', ')}`,
  );
  for (const kind of order)
    emit('queued', `${kind}: queued`, { resource: kind });
  for (;;) {
    if (!work.signal.aborted) {
      for (const kind of order) {
        if (
          state.get(kind) === 'pending' &&
          dependenciesOf(spec, kind).every(d => state.get(d) === 'done')
        )
          start(kind);
      }
    }
    if (!running.size) break;
    await Promise.race(running.values());
  }
  options.signal?.removeEventListener('abort', onCancel);

  const cancelled = !!options.signal?.aborted;
  if (!failure && !cancelled && order.every(k => state.get(k) === 'done')) {
    emit('run-succeeded', `Stack ${stackId} is ready`);
    return outputs;
  }
  const cause = failure ?? new CancelledError('Cancelled');
  for (const kind of order.filter(k => state.get(k) === 'pending'))
    emit('skipped', `${kind}: not started`, { resource: kind });

  let rolledBack: ResourceKind[] = [];
  let retained: ResourceKind[] = [];
  let rollbackErrors: string[] = [];
  let kept: string[] = [];
  if (spec.onFailure === 'rollback') {
    ({
      deleted: rolledBack,
      kept,
      retained,
      errors: rollbackErrors,
    } = await removeResources(options, attempted, 'rolling-back', {
      createdByRun: runId,
    }));
  } else {
    retained = attempted;
    for (const kind of retained)
      emit('retained', `${kind}: retained for debugging (onFailure: retain)`, {
        resource: kind,
      });
  }
  const what = cancelled
    ? 'was cancelled'
    : `failed: ${cause.message.replace(/\.+$/, '')}`;
  const after =
    spec.onFailure === 'rollback'
      ? `Rolled back: ${rolledBack.join(', ') || 'nothing this run created'}.${
          kept.length ? ` Kept: ${kept.join('; ')}.` : ''
        }${
          rollbackErrors.length
            ? ` Rollback failed for: ${rollbackErrors.join('; ')}`
            : ''
        }`
      : `Retained for debugging: ${retained.join(', ') || 'nothing'}.`;
  emit(
    cancelled ? 'run-cancelled' : 'run-failed',
    `Stack ${stackId} ${what}. ${after}`,
    { error: cause.message },
  );
  throw new StackProvisioningError(
    `Stack ${stackId} ${what}. ${after}`,
    cause,
    rolledBack,
    retained,
    cancelled,
  );
}

/**
 * Deletes `kinds` of a stack in reverse dependency order, independent ones in parallel; a
 * resource that is already gone counts as deleted. What the provider keeps (not this run's, not
 * this owner's, protected) stays, and so does everything it depends on: a network under a kept
 * database cannot be deleted.
 */
async function removeResources(
  options: StackRunOptions,
  kinds: ResourceKind[],
  status: ResourceStatus,
  scope: RemovalScope,
) {
  const emit = emitter(options.onEvent);
  const { spec, provider } = options;
  const waves = planStack(spec)
    .waves.map(w => w.filter(k => kinds.includes(k)))
    .reverse();
  const deleted: ResourceKind[] = [];
  const retained: ResourceKind[] = [];
  const kept: string[] = [];
  const errors: string[] = [];
  // Kinds that are still there, wholly or in part, after their turn.
  const remaining = new Set<ResourceKind>();
  for (const wave of waves) {
    await Promise.all(
      wave.map(async kind => {
        const blockers = kinds.filter(
          d => remaining.has(d) && dependenciesOf(spec, d).includes(kind),
        );
        if (blockers.length) {
          remaining.add(kind);
          retained.push(kind);
          const why = `${kind} (${blockers.join(', ')} still use${
            blockers.length === 1 ? 's' : ''
          } it)`;
          kept.push(why);
          emit(
            'retained',
            `${kind}: kept: ${blockers.join(', ')} still use it`,
            {
              resource: kind,
            },
          );
          return;
        }
        const started = Date.now();
        emit(
          status,
          `${kind}: ${status === 'rolling-back' ? 'rolling back' : 'deleting'}`,
          { resource: kind },
        );
        try {
          // Cleanup is not cancelled with the task: it must finish to leave nothing behind.
          const result = await provider.destroy(kind, {
            spec,
            stackId: stackIdOf(spec),
            runId: options.runId,
            removal: scope,
            outputs: {},
            signal: new AbortController().signal,
            deadline: Date.now() + spec.timeoutMinutes * 60_000,
            progress: detail =>
              emit(status, `${kind}: ${detail}`, {
                resource: kind,
                detail,
                elapsedMs: Date.now() - started,
              }),
          });
          if (result.kept.length) {
            remaining.add(kind);
            retained.push(kind);
            kept.push(`${kind} (${result.kept.join('; ')})`);
            emit('retained', `${kind}: kept ${result.kept.join('; ')}`, {
              resource: kind,
              detail: result.kept.join('; '),
              elapsedMs: Date.now() - started,
            });
            return;
          }
          deleted.push(kind);
          emit('deleted', `${kind}: deleted`, {
            resource: kind,
            elapsedMs: Date.now() - started,
          });
        } catch (e) {
          remaining.add(kind);
          errors.push(`${kind} (${(e as Error).message})`);
          emit(
            'failed',
            `${kind}: could not be deleted: ${(e as Error).message}`,
            { resource: kind, error: (e as Error).message },
          );
        }
      }),
    );
  }
  const order = (a: ResourceKind, b: ResourceKind) =>
    kinds.indexOf(b) - kinds.indexOf(a);
  return {
    deleted: deleted.sort(order),
    retained: retained.sort(order),
    kept,
    errors,
  };
}

/**
 * Deletes every resource of a stack that carries its stack and owner tags, in reverse dependency
 * order; idempotent. Fails, saying what stayed and why, when anything was kept (another owner's,
 * protected from deletion) or could not be deleted.
 */
export async function destroyStack(
  options: StackRunOptions,
): Promise<ResourceKind[]> {
  requireOwner(options.spec);
  const emit = emitter(options.onEvent);
  const stackId = stackIdOf(options.spec);
  const kinds = topologicalOrder(options.spec);
  emit(
    'run-started',
    `Destroying stack ${stackId}: ${[...kinds].reverse().join(', ')}`,
  );
  const { deleted, kept, errors } = await removeResources(
    options,
    kinds,
    'deleting',
    {},
  );
  if (errors.length || kept.length) {
    const message = `Stack ${stackId} was not fully destroyed.${
      kept.length ? ` Kept: ${kept.join('; ')}.` : ''
    }${errors.length ? ` Could not delete: ${errors.join('; ')}.` : ''}`;
    emit('run-failed', message, { error: message });
    throw new Error(message);
  }
  emit('run-succeeded', `Stack ${stackId} destroyed`);
  return deleted;
}
