import { useEffect, useRef, useState } from 'react';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { provisioningApiRef } from './api';
import { applyEvents, initialRunState, RunState } from './runState';

/** The backend returns at most this many events per call; a full page means there may be more. */
const PAGE = 1000;
/** How long a long-poll waits on the server for the next event. */
const LONG_POLL_SECONDS = 20;

/** What {@link useLiveRun} returns. */
export interface LiveRun {
  state?: RunState;
  /** Loading the run failed (not found, not allowed...): the page shows this instead. */
  error?: Error;
  /** The long-poll is failing; it keeps retrying and the page says so. */
  connectionError?: Error;
  /** Whether pushes arrive through signals (otherwise only the long-poll delivers). */
  pushed: boolean;
}

/**
 * A run kept up to date. It loads the run and its whole event log, then listens on the run's
 * signal channel; each signal fetches what came after the page's cursor. A long-poll is always
 * pending beside it, so when the socket drops, events still arrive within a poll and nothing is
 * missed: both paths fetch after the same cursor and already applied events are skipped.
 */
export function useLiveRun(runId: string): LiveRun {
  const client = useApi(provisioningApiRef);
  const signals = useApiHolder().get(signalApiRef);
  const [live, setLive] = useState<LiveRun>({ pushed: !!signals });
  const current = useRef<RunState>();

  useEffect(() => {
    let stopped = false;
    current.current = undefined;
    setLive({ pushed: !!signals });

    const apply = (next: RunState) => {
      current.current = next;
      if (!stopped)
        setLive(l => ({ ...l, state: next, connectionError: undefined }));
    };
    /** Fetches every event after the cursor, page by page; waits up to `wait` s for the first. */
    const fetchNew = async (waitSeconds: number) => {
      let wait = waitSeconds;
      for (;;) {
        const { events } = await client.listEvents(
          runId,
          current.current!.cursor,
          wait,
        );
        if (stopped) return;
        apply(applyEvents(current.current!, events));
        if (events.length < PAGE) return;
        wait = 0;
      }
    };

    let inFlight = false;
    let again = false;
    const catchUp = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        do {
          again = false;
          await fetchNew(0);
        } while (again && !stopped);
      } catch {
        // The long-poll reports connection trouble and keeps retrying.
      } finally {
        inFlight = false;
      }
    };

    let subscription: { unsubscribe(): void } | undefined;
    (async () => {
      try {
        const { run, resources, outputsHidden } = await client.getRun(runId);
        if (stopped) return;
        current.current = initialRunState(run, resources, outputsHidden);
        await fetchNew(0);
      } catch (e) {
        if (!stopped) setLive(l => ({ ...l, error: e as Error }));
        return;
      }
      if (stopped) return;
      subscription = signals?.subscribe<{ cursor: number }>(
        `provisioning:run:${runId}`,
        message => {
          if (message.cursor > (current.current?.cursor ?? 0)) catchUp();
        },
      );
      // Events written between the first load and the subscription have no signal of their own.
      catchUp();
      let backoff = 1000;
      while (!stopped) {
        try {
          await fetchNew(LONG_POLL_SECONDS);
          backoff = 1000;
        } catch (e) {
          if (stopped) return;
          setLive(l => ({ ...l, connectionError: e as Error }));
          const delay = backoff;
          await new Promise(resolve => setTimeout(resolve, delay));
          backoff = Math.min(backoff * 2, 15_000);
        }
      }
    })();
    return () => {
      stopped = true;
      subscription?.unsubscribe();
    };
  }, [client, signals, runId]);

  return live;
}
