import {
  ResourceKind,
  dependenciesOf,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import type { ResourceContext, ResourceOutputs } from './provider';
import { CancelledError } from './waitFor';
import {
  Checkpoint,
  emitter,
  requireOwner,
  stackIdOf,
  StackProvisioningError,
  StackRunOptions,
} from './stackRun';
import { removeResources } from './destroy';

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
