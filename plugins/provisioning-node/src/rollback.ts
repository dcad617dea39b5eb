import type { ResourceOutputs } from './provider';
import {
  emitter,
  requireOwner,
  resourceContext,
  stackIdOf,
  StackRunOptions,
} from './stackRun';

/**
 * Returns a stack's app to an earlier revision it was delivered at, as a run of its own: the provider commits what that revision held as the newest, and waits
 * until it runs so. Nothing else of the stack is touched; a failure leaves the resource as the
 * provider found it, and says why.
 */
export async function rollbackApp(
  options: StackRunOptions & { revision: string },
): Promise<ResourceOutputs> {
  const { spec, provider, revision } = options;
  requireOwner(spec);
  const emit = emitter(options.onEvent);
  const stackId = stackIdOf(spec);
  const name = 'app';
  if (!provider.rollback)
    throw new Error(`The ${provider.id} provider cannot roll resources back`);
  const started = Date.now();
  emit(
    'run-started',
    `Rolling back ${name} of stack ${stackId} to revision ${revision}`,
  );
  emit('creating', `${name}: rolling back to ${revision}`, { resource: name });
  try {
    const outputs = await provider.rollback(
      resourceContext(options, name, {
        signal: options.signal ?? new AbortController().signal,
        outputs: {},
        progress: detail =>
          emit('waiting', `${name}: ${detail}`, {
            resource: name,
            detail,
            elapsedMs: Date.now() - started,
          }),
      }),
      revision,
    );
    emit(
      'ready',
      `${name}: rolled back in ${
        Math.round((Date.now() - started) / 100) / 10
      }s`,
      { resource: name, outputs, elapsedMs: Date.now() - started },
    );
    emit('run-succeeded', `Stack ${stackId}'s ${name} is rolled back`);
    return outputs;
  } catch (e) {
    const message = (e as Error).message;
    emit('failed', `${name}: failed: ${message}`, {
      resource: name,
      error: message,
      elapsedMs: Date.now() - started,
    });
    emit(
      'run-failed',
      `Stack ${stackId}'s ${name} was not rolled back: ${message}`,
      {
        error: message,
      },
    );
    throw e;
  }
}
