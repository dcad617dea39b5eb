import {
  dependenciesOf,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import type { ResourceOutputs } from './provider';
import { CancelledError } from './waitFor';
import {
  Checkpoint,
  emitter,
  requireOwner,
  resourceContext,
  stackIdOf,
  StackProvisioningError,
  StackRunOptions,
} from './stackRun';
import { removeResources } from './destroy';

/**
 * What the provider knows it could not create, resource by resource, before anything is
 * created: the refusals of its `preflight` (each an error saying what to change). The stack
 * action's dry-run shows them on the plan page; a run is refused with the first.
 */
export function preflightProblems(
  options: Pick<StackRunOptions, 'spec' | 'provider' | 'runId'> & {
    signal?: AbortSignal;
  },
): Error[] {
  const problems: Error[] = [];
  for (const name of topologicalOrder(options.spec, options.provider.kinds))
    try {
      options.provider.preflight?.(
        resourceContext(options, name, {
          signal: options.signal ?? new AbortController().signal,
          outputs: {},
          progress: () => {},
        }),
      );
    } catch (e) {
      problems.push(e as Error);
    }
  return problems;
}

/**
 * Provisions a stack: every resource after its dependencies, independent branches in parallel,
 * each completed resource checkpointed (and verified on a re-run, so a rolled-back or deleted
 * resource is created again). On a permanent failure or cancellation, in-flight work is stopped
 * and what this run touched is rolled back in reverse dependency order, or retained.
 */
export async function provisionStack(
  options: StackRunOptions & { checkpoint: Checkpoint },
): Promise<Record<string, ResourceOutputs>> {
  const { spec, provider, checkpoint } = options;
  requireOwner(spec);
  const emit = emitter(options.onEvent);
  const stackId = stackIdOf(spec);
  const { kinds } = provider;
  const dependencies = (name: string) => dependenciesOf(spec, name, kinds);
  const order = topologicalOrder(spec, kinds);
  // What the provider knows it could not create is refused before anything is created.
  const [refused] = preflightProblems(options);
  if (refused) throw refused;
  const outputs: Record<string, ResourceOutputs> = {};
  const state = new Map<string, 'pending' | 'running' | 'done' | 'failed'>(
    order.map(k => [k, 'pending']),
  );
  const attempted: string[] = [];
  // Resources this attempt created or re-created (not resumed from a checkpoint). What depends on
  // one does not trust its own checkpoint: it was built on the dependency as it was before (a
  // re-created database has a new password, so the secrets and the app must be applied again).
  const renewed = new Set<string>();
  const running = new Map<string, Promise<void>>();
  // Aborted on cancellation and on the first failure, so in-flight waits stop early.
  const work = new AbortController();
  const onCancel = () => work.abort();
  options.signal?.addEventListener('abort', onCancel);
  if (options.signal?.aborted) work.abort();
  let failure: Error | undefined;

  const start = (name: string) => {
    state.set(name, 'running');
    attempted.push(name);
    const started = Date.now();
    emit('creating', `${name}: creating`, { resource: name });
    const ctx = resourceContext(options, name, {
      signal: work.signal,
      outputs: Object.fromEntries(dependencies(name).map(d => [d, outputs[d]])),
      progress: detail =>
        emit('waiting', `${name}: ${detail}`, {
          resource: name,
          detail,
          elapsedMs: Date.now() - started,
        }),
    });
    const run = (async () => {
      let fresh = false;
      let result = await checkpoint(
        `konductor.stack.${stackId}.${name}`,
        async () => {
          fresh = true;
          return provider.create(ctx);
        },
      );
      const stale = dependencies(name).filter(d => renewed.has(d));
      if (!fresh && stale.length) {
        emit(
          'creating',
          `${name}: checkpointed, but ${stale.join(
            ', ',
          )} changed since: applying it again`,
          { resource: name },
        );
        result = await provider.create(ctx);
        fresh = true;
      } else if (!fresh && !(await provider.exists(ctx, result))) {
        emit(
          'creating',
          `${name}: checkpointed but no longer present, creating again`,
          { resource: name },
        );
        result = await provider.create(ctx);
        fresh = true;
      }
      if (fresh) renewed.add(name);
      outputs[name] = result;
      state.set(name, 'done');
      emit(
        'ready',
        `${name}: ready in ${Math.round((Date.now() - started) / 100) / 10}s${
          fresh ? '' : ' (resumed from checkpoint)'
        }`,
        {
          resource: name,
          outputs: result,
          elapsedMs: Date.now() - started,
        },
      );
    })()
      .catch((e: Error) => {
        state.set(name, 'failed');
        const cancelled = e instanceof CancelledError || work.signal.aborted;
        if (!failure) failure = e;
        emit(
          'failed',
          `${name}: ${cancelled ? 'stopped' : 'failed'}: ${e.message}`,
          { resource: name, error: e.message, elapsedMs: Date.now() - started },
        );
        work.abort();
      })
      .finally(() => running.delete(name));
    running.set(name, run);
  };

  emit(
    'run-started',
    `Provisioning stack ${stackId} in ${spec.target.accountId}/${
      spec.target.region
    }: ${order.join(', ')}`,
  );
  for (const name of order)
    emit('queued', `${name}: queued`, { resource: name });
  for (;;) {
    if (!work.signal.aborted) {
      for (const name of order) {
        if (
          state.get(name) === 'pending' &&
          dependencies(name).every(d => state.get(d) === 'done')
        )
          start(name);
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
  for (const name of order.filter(k => state.get(k) === 'pending'))
    emit('skipped', `${name}: not started`, { resource: name });

  let rolledBack: string[] = [];
  let retained: string[] = [];
  let rollbackErrors: string[] = [];
  let kept: string[] = [];
  if (spec.onFailure === 'rollback') {
    ({
      deleted: rolledBack,
      kept,
      retained,
      errors: rollbackErrors,
    } = await removeResources(options, attempted, 'rolling-back', {
      createdByRun: options.runId,
    }));
  } else {
    retained = attempted;
    for (const name of retained)
      emit('retained', `${name}: retained for debugging (onFailure: retain)`, {
        resource: name,
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
