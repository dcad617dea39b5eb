import {
  ResourceKind,
  ResourceStatus,
  dependenciesOf,
  planStack,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import type { RemovalScope } from './provider';
import { emitter, requireOwner, stackIdOf, StackRunOptions } from './stackRun';

/**
 * Deletes `kinds` of a stack in reverse dependency order, independent ones in parallel; a
 * resource that is already gone counts as deleted. What the provider keeps (not this run's, not
 * this owner's, protected) stays, and so does everything it depends on: a network under a kept
 * database cannot be deleted.
 */
export async function removeResources(
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
