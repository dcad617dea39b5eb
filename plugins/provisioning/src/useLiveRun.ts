import { useEffect, useRef, useState } from 'react';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { provisioningApiRef } from './api';
import { applyEvents, initialRunState, RunState } from './runState';

/** The backend returns at most this many events per call; a full page means there may be more. */
const PAGE = 1000;

/** What {@link useLiveRun} returns. */
export interface LiveRun {
  state?: RunState;
  /** Loading the run failed (not found, not allowed...): the page shows this instead. */
  error?: Error;
  /** The event stream is broken; it reconnects with backoff and the page says so. */
  connectionError?: Error;
}

/**
 * A run kept up to date. It loads the run and its whole event log, then follows the log's event
 * stream from its cursor, reconnecting from the cursor whenever the stream ends or breaks. The
 * run's signal channel says when another backend replica stored events; a signal ahead of the
 * cursor fetches what came after it. Both paths continue from the same cursor and already
 * applied events are skipped, so nothing is missed or shown twice.
 */
export function useLiveRun(runId: string): LiveRun {
  const client = useApi(provisioningApiRef);
  const signals = useApiHolder().get(signalApiRef);
  const [live, setLive] = useState<LiveRun>({});
  const current = useRef<RunState>();

  useEffect(() => {
    const stop = new AbortController();
    const stopped = () => stop.signal.aborted;
    current.current = undefined;
    setLive({});

    const apply = (next: RunState) => {
      if (stopped()) return;
      current.current = next;
      // Both paths may deliver the same events: what changes nothing renders nothing.
      setLive(l => (l.state === next ? l : { ...l, state: next }));
    };
    const receive = (events: Parameters<typeof applyEvents>[1]) =>
      apply(applyEvents(current.current!, events));

    /** Fetches every event after the cursor, page by page. */
    const fetchNew = async () => {
      for (;;) {
        const { events } = await client.listEvents(
          runId,
          current.current!.cursor,
        );
        if (stopped()) return;
        receive(events);
        if (events.length < PAGE) return;
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
          await fetchNew();
        } while (again && !stopped());
      } catch {
        // The stream reports connection trouble and keeps reconnecting.
      } finally {
        inFlight = false;
      }
    };

    let subscription: { unsubscribe(): void } | undefined;
    (async () => {
      try {
        const { run, resources, outputsHidden } = await client.getRun(runId);
        if (stopped()) return;
        current.current = initialRunState(run, resources, outputsHidden);
        await fetchNew();
      } catch (e) {
        if (!stopped()) setLive(l => ({ ...l, error: e as Error }));
        return;
      }
      if (stopped()) return;
      subscription = signals?.subscribe<{ cursor: number }>(
        `provisioning:run:${runId}`,
        message => {
          if (message.cursor > (current.current?.cursor ?? 0)) catchUp();
        },
      );
      const retry = { delayMs: 1000 };
      while (!stopped()) {
        try {
          await client.followEvents(runId, {
            after: current.current!.cursor,
            onEvents: receive,
            onOpen: () => {
              retry.delayMs = 1000;
              setLive(l =>
                l.connectionError ? { ...l, connectionError: undefined } : l,
              );
            },
            signal: stop.signal,
          });
        } catch (e) {
          if (stopped()) return;
          setLive(l => ({ ...l, connectionError: e as Error }));
          const delay = retry.delayMs;
          await new Promise(resolve => setTimeout(resolve, delay));
          retry.delayMs = Math.min(delay * 2, 15_000);
        }
      }
    })();
    return () => {
      stop.abort();
      subscription?.unsubscribe();
    };
  }, [client, signals, runId]);

  return live;
}
