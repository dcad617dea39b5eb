import type { ResourceContext } from './provider';
/** Thrown when a wait passes its deadline. */
export class ResourceTimeoutError extends Error {
  name = 'ResourceTimeoutError';
}

/** Thrown when the task was cancelled while waiting. */
export class CancelledError extends Error {
  name = 'CancelledError';
}

/** Sleeps `ms`, or rejects with {@link CancelledError} as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError('Cancelled'));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('Cancelled'));
    };
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `probe` until it returns a value, reporting each state it sees through `progress`.
 * Gives up at `deadline` with a {@link ResourceTimeoutError} naming the last state.
 */
export async function waitFor<T>(options: {
  what: string;
  probe: () => Promise<{ done: T } | { state: string }>;
  intervalMs: number;
  deadline: number;
  signal: AbortSignal;
  progress: (detail: string) => void;
}): Promise<T> {
  const started = Date.now();
  let last = '';
  for (;;) {
    if (options.signal.aborted) throw new CancelledError('Cancelled');
    const result = await options.probe();
    if ('done' in result) return result.done;
    if (result.state !== last) {
      last = result.state;
      options.progress(`${options.what}: ${result.state}`);
    }
    if (Date.now() >= options.deadline) {
      throw new ResourceTimeoutError(
        `Timed out after ${Math.round(
          (Date.now() - started) / 1000,
        )}s waiting for ${options.what} (last state: ${last})`,
      );
    }
    await sleep(options.intervalMs, options.signal);
  }
}

/**
 * {@link waitFor} within a resource's run: its deadline, cancellation and progress reports, polling
 * every `intervalMs`.
 */
export function waitForResource<T>(
  ctx: Pick<ResourceContext, 'deadline' | 'signal' | 'progress'>,
  intervalMs: number,
  what: string,
  probe: () => Promise<{ done: T } | { state: string }>,
): Promise<T> {
  return waitFor({
    what,
    probe,
    intervalMs,
    deadline: ctx.deadline,
    signal: ctx.signal,
    progress: ctx.progress,
  });
}
