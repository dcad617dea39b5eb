import {
  ResourceStatus,
  dependenciesOf,
  planStack,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import type { RemovalScope } from './provider';
import {
  emitter,
  requireOwner,
  resourceContext,
  stackIdOf,
  StackRunOptions,
} from './stackRun';

/**
 * Deletes the resources `names` of a stack in reverse dependency order, independent ones in parallel; a
 * resource that is already gone counts as deleted. What the provider keeps (not this run's, not
 * this owner's, protected) stays, and so does everything it depends on: a network under a kept
 * database cannot be deleted.
 */
export async function removeResources(
  options: StackRunOptions,
  names: string[],
  status: ResourceStatus,
  scope: RemovalScope,
) {
  const emit = emitter(options.onEvent);
  const { spec, provider } = options;
  const { kinds } = provider;
  const waves = planStack(spec, kinds)
    .waves.map(w => w.filter(n => names.includes(n)))
    .reverse();
  const deleted: string[] = [];
  const retained: string[] = [];
  const kept: string[] = [];
  const errors: string[] = [];
  // Resources that are still there, wholly or in part, after their turn.
  const remaining = new Set<string>();
  for (const wave of waves) {
    await Promise.all(
      wave.map(async name => {
        const blockers = names.filter(
          d =>
            remaining.has(d) && dependenciesOf(spec, d, kinds).includes(name),
        );
        if (blockers.length) {
          remaining.add(name);
          retained.push(name);
          const why = `${name} (${blockers.join(', ')} still use${
            blockers.length === 1 ? 's' : ''
          } it)`;
          kept.push(why);
          emit(
            'retained',
            `${name}: kept: ${blockers.join(', ')} still use it`,
            {
              resource: name,
            },
          );
          return;
        }
        const started = Date.now();
        emit(
          status,
          `${name}: ${status === 'rolling-back' ? 'rolling back' : 'deleting'}`,
          { resource: name },
        );
        try {
          // Cleanup is not cancelled with the task: it must finish to leave nothing behind.
          const result = await provider.destroy(
            resourceContext(options, name, {
              removal: scope,
              outputs: {},
              signal: new AbortController().signal,
              progress: detail =>
                emit(status, `${name}: ${detail}`, {
                  resource: name,
                  detail,
                  elapsedMs: Date.now() - started,
                }),
            }),
          );
          if (result.kept.length) {
            remaining.add(name);
            retained.push(name);
            kept.push(`${name} (${result.kept.join('; ')})`);
            emit('retained', `${name}: kept ${result.kept.join('; ')}`, {
              resource: name,
              detail: result.kept.join('; '),
              elapsedMs: Date.now() - started,
            });
            return;
          }
          deleted.push(name);
          emit('deleted', `${name}: deleted`, {
            resource: name,
            elapsedMs: Date.now() - started,
          });
        } catch (e) {
          remaining.add(name);
          errors.push(`${name} (${(e as Error).message})`);
          emit(
            'failed',
            `${name}: could not be deleted: ${(e as Error).message}`,
            { resource: name, error: (e as Error).message },
          );
        }
      }),
    );
  }
  const order = (a: string, b: string) => names.indexOf(b) - names.indexOf(a);
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
): Promise<string[]> {
  requireOwner(options.spec);
  const emit = emitter(options.onEvent);
  const stackId = stackIdOf(options.spec);
  const names = topologicalOrder(options.spec, options.provider.kinds);
  emit(
    'run-started',
    `Destroying stack ${stackId}: ${[...names].reverse().join(', ')}`,
  );
  const { deleted, kept, errors } = await removeResources(
    options,
    names,
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
