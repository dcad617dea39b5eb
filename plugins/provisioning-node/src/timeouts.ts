/** How long one HTTP call to a cloud, Kubernetes or tool API may take before it is abandoned. */
export const CALL_TIMEOUT_MS = 30_000;

/**
 * The signal of one HTTP call: aborted when `signal` (the task's cancellation) is, or after
 * `timeoutMs`. A call that hangs on a dead connection fails and is retried instead of stalling
 * the run forever.
 */
export function callSignal(
  signal?: AbortSignal,
  timeoutMs = CALL_TIMEOUT_MS,
): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** `fetch` whose every request is abandoned after `timeoutMs` (or with the request's own signal). */
export function fetchWithTimeout(timeoutMs = CALL_TIMEOUT_MS): typeof fetch {
  return (input, init) =>
    fetch(input, {
      ...init,
      signal: callSignal(init?.signal ?? undefined, timeoutMs),
    });
}
