import {
  BUILT_IN_RESOURCE_KINDS,
  ProvisioningEvent,
  ProvisioningRun,
  RunResource,
  RunStatus,
} from '@konductor/plugin-provisioning-common';

/** One node of the run's graph as the page draws it. */
export interface NodeState {
  /** The resource's name in the stack. */
  resource: string;
  kind?: string;
  /** Its kind's typical creation time in seconds, as the run recorded it. */
  typicalCreateSeconds?: number;
  dependsOn: string[];
  status: string;
  /** When the resource started being created (epoch ms), from its first `creating` event. */
  startedAt?: number;
  /** When it became ready or failed (epoch ms). */
  endedAt?: number;
  outputs?: Record<string, unknown>;
  error?: string;
  detail?: string;
}

/** Everything the run page shows: the run, its graph and its event log up to `cursor`. */
export interface RunState {
  run: ProvisioningRun;
  nodes: NodeState[];
  events: ProvisioningEvent[];
  /** The highest event sequence number applied. */
  cursor: number;
  /** The user may see the run but not its stack's outputs (they are left out). */
  outputsHidden?: boolean;
}

const RUN_END: Record<string, RunStatus> = {
  'run-succeeded': 'succeeded',
  'run-failed': 'failed',
  'run-cancelled': 'cancelled',
};

/** Resource statuses that mean the resource is being worked on. */
export const ACTIVE_STATUSES = new Set([
  'creating',
  'waiting',
  'rolling-back',
  'deleting',
]);

/**
 * The state of a run before any event: its graph with every resource queued. The page folds the
 * whole event log over it, so a reload shows exactly what a live page showed.
 */
export function initialRunState(
  run: ProvisioningRun,
  resources: RunResource[],
  outputsHidden?: boolean,
): RunState {
  return {
    outputsHidden,
    run: { ...run, status: 'running', finishedAt: undefined },
    nodes: resources.map(r => ({
      resource: r.resource,
      kind: r.kind,
      typicalCreateSeconds: r.typicalCreateSeconds,
      dependsOn: r.dependsOn,
      status: 'queued',
    })),
    events: [],
    cursor: 0,
  };
}

/**
 * Applies events in order. Events at or below the cursor were applied already and are skipped,
 * so the event stream and the reads that signals start may deliver the same events without
 * duplicating them.
 */
export function applyEvents(
  state: RunState,
  events: ProvisioningEvent[],
): RunState {
  const fresh = events
    .filter(e => (e.seq ?? 0) > state.cursor)
    .sort((a, b) => a.seq! - b.seq!);
  if (!fresh.length) return state;
  const nodes = new Map(state.nodes.map(n => [n.resource, { ...n }]));
  let run = state.run;
  for (const e of fresh) {
    const at = Date.parse(e.at);
    if (RUN_END[e.status]) {
      run = { ...run, status: RUN_END[e.status], finishedAt: e.at };
    } else if (e.status === 'run-started') {
      run = { ...run, status: 'running', finishedAt: undefined };
    }
    if (!e.resource) continue;
    const node = nodes.get(e.resource) ?? {
      resource: e.resource,
      dependsOn: [],
      status: 'queued',
    };
    if (e.status === 'creating' && node.status !== 'waiting') {
      node.startedAt = at;
      node.endedAt = undefined;
    }
    if (e.status === 'ready' || e.status === 'failed') node.endedAt = at;
    node.status = e.status;
    node.detail = e.detail;
    if (e.outputs) node.outputs = e.outputs;
    if (e.error) node.error = e.error;
    nodes.set(e.resource, node);
  }
  return {
    ...state,
    run,
    nodes: [...nodes.values()],
    events: [...state.events, ...fresh],
    cursor: fresh[fresh.length - 1].seq!,
  };
}

/** The run's overall progress (0..1) and the estimated milliseconds left, while it runs. */
export interface RunProgress {
  fraction: number;
  remainingMs?: number;
}

/** A resource's typical creation time: as recorded, else its built-in kind's, else a minute. */
const typicalMs = (n: NodeState) =>
  (n.typicalCreateSeconds ??
    BUILT_IN_RESOURCE_KINDS.get(n.kind ?? n.resource)?.typicalCreateSeconds ??
    60) * 1000;

/**
 * Progress and time left. Each resource weighs its typical creation time; the typical times are
 * rescaled by how fast this run's finished resources were (a sandbox run is far faster than AWS),
 * and the time left is the longest chain of unfinished work through the graph.
 */
export function runProgress(state: RunState, now: number): RunProgress {
  const { nodes, run } = state;
  if (!nodes.length) return { fraction: run.status === 'running' ? 0 : 1 };
  const finished = nodes.filter(n => n.startedAt && n.endedAt);
  const observed = finished.reduce(
    (sum, n) => sum + (n.endedAt! - n.startedAt!),
    0,
  );
  const expectedOfFinished = finished.reduce((sum, n) => sum + typicalMs(n), 0);
  const scale = finished.length
    ? Math.max(observed, 1) / expectedOfFinished
    : 1;
  const expected = (n: NodeState) => typicalMs(n) * scale;

  const done = (n: NodeState) =>
    ['ready', 'skipped', 'deleted', 'retained'].includes(n.status);
  const ownRemaining = (n: NodeState) => {
    if (done(n)) return 0;
    if (n.startedAt && ACTIVE_STATUSES.has(n.status))
      return Math.max(expected(n) - (now - n.startedAt), expected(n) * 0.05);
    return expected(n);
  };
  const total = nodes.reduce((sum, n) => sum + expected(n), 0);
  const left = nodes.reduce((sum, n) => sum + ownRemaining(n), 0);
  const fraction =
    run.status === 'running' ? Math.min(1 - left / total, 0.99) : 1;

  if (run.status !== 'running') return { fraction };
  const byId = new Map(nodes.map(n => [n.resource, n]));
  const memo = new Map<string, number>();
  const chain = (n: NodeState): number => {
    if (!memo.has(n.resource)) {
      memo.set(n.resource, 0); // guards a malformed cyclic graph
      const before = Math.max(
        0,
        ...n.dependsOn.map(d => (byId.has(d) ? chain(byId.get(d)!) : 0)),
      );
      memo.set(n.resource, before + ownRemaining(n));
    }
    return memo.get(n.resource)!;
  };
  const remainingMs = Math.max(0, ...nodes.map(chain));
  return { fraction: Math.max(fraction, 0), remainingMs };
}

/** `1h 02m`, `4m 05s`, `12s`, `0.4s`: a duration a person reads at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 9_950) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h) return `${h}h ${pad(m)}m`;
  if (m) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

/** Graph layers: each resource one layer right of the deepest resource it depends on. */
export function layersOf(nodes: NodeState[]): NodeState[][] {
  const byId = new Map(nodes.map(n => [n.resource, n]));
  const depth = new Map<string, number>();
  const depthOf = (n: NodeState): number => {
    if (!depth.has(n.resource)) {
      depth.set(n.resource, 0);
      depth.set(
        n.resource,
        Math.max(
          0,
          ...n.dependsOn
            .filter(d => byId.has(d))
            .map(d => depthOf(byId.get(d)!) + 1),
        ),
      );
    }
    return depth.get(n.resource)!;
  };
  const layers: NodeState[][] = [];
  for (const n of nodes) (layers[depthOf(n)] ??= []).push(n);
  return layers.filter(Boolean);
}
