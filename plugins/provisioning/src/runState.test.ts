import type {
  ProvisioningEvent,
  ProvisioningRun,
} from '@konductor/plugin-provisioning-common';
import {
  applyEvents,
  formatDuration,
  initialRunState,
  layersOf,
  runProgress,
} from './runState';

const run: ProvisioningRun = {
  id: 'task-1_shop-dev',
  taskId: 'task-1',
  stackId: 'shop-dev',
  stackName: 'shop',
  environment: 'dev',
  status: 'running',
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
  lastSeq: 0,
};
const graph = [
  {
    resource: 'network',
    kind: 'network',
    dependsOn: [],
    status: 'queued',
    updatedAt: '',
  },
  {
    resource: 'database',
    kind: 'database',
    dependsOn: ['network'],
    status: 'queued',
    updatedAt: '',
  },
  {
    resource: 'secrets',
    kind: 'secrets',
    dependsOn: ['database'],
    status: 'queued',
    updatedAt: '',
  },
];
const at = (s: number) => new Date(Date.parse(run.createdAt) + s * 1000);
const ev = (
  seq: number,
  s: number,
  status: ProvisioningEvent['status'],
  resource?: ProvisioningEvent['resource'],
  extra: Partial<ProvisioningEvent> = {},
): ProvisioningEvent => ({
  seq,
  at: at(s).toISOString(),
  status,
  resource,
  message: `${resource ?? 'run'} ${status}`,
  ...extra,
});

describe('applyEvents', () => {
  it('folds events into node states, outputs and the run status', () => {
    const state = applyEvents(initialRunState(run, graph), [
      ev(1, 0, 'run-started'),
      ev(2, 0, 'creating', 'network'),
      ev(3, 30, 'ready', 'network', { outputs: { vpcId: 'vpc-1' } }),
      ev(4, 30, 'creating', 'database'),
      ev(5, 40, 'failed', 'database', { error: 'quota exceeded' }),
      ev(6, 41, 'deleting', 'network'),
      ev(7, 45, 'deleted', 'network'),
      ev(8, 45, 'run-failed'),
    ]);
    expect(state.cursor).toBe(8);
    expect(state.run.status).toBe('failed');
    expect(state.run.finishedAt).toBe(at(45).toISOString());
    const byId = Object.fromEntries(state.nodes.map(n => [n.resource, n]));
    expect(byId.network).toMatchObject({
      status: 'deleted',
      outputs: { vpcId: 'vpc-1' },
      startedAt: at(0).getTime(),
    });
    expect(byId.database).toMatchObject({
      status: 'failed',
      error: 'quota exceeded',
      startedAt: at(30).getTime(),
      endedAt: at(40).getTime(),
    });
    expect(byId.secrets.status).toBe('queued');
  });

  it('skips events it already has, so two delivery paths never duplicate the log', () => {
    const once = applyEvents(initialRunState(run, graph), [
      ev(1, 0, 'run-started'),
      ev(2, 0, 'creating', 'network'),
    ]);
    const again = applyEvents(once, [
      ev(2, 0, 'creating', 'network'),
      ev(3, 5, 'ready', 'network'),
    ]);
    expect(again.events.map(e => e.seq)).toEqual([1, 2, 3]);
    expect(applyEvents(again, [ev(3, 5, 'ready', 'network')])).toBe(again);
  });

  it('starts a retried run again', () => {
    const failed = applyEvents(initialRunState(run, graph), [
      ev(1, 0, 'run-started'),
      ev(2, 1, 'run-failed'),
    ]);
    const retried = applyEvents(failed, [ev(3, 60, 'run-started')]);
    expect(retried.run.status).toBe('running');
    expect(retried.run.finishedAt).toBeUndefined();
  });
});

describe('runProgress', () => {
  it('estimates the time left from the critical path, rescaled by the observed speed', () => {
    // The network took 15s, a tenth of its typical 150s: the database (480s typical) should
    // take about 48s, and the secrets (10s) about 1s after it.
    const state = applyEvents(initialRunState(run, graph), [
      ev(1, 0, 'run-started'),
      ev(2, 0, 'creating', 'network'),
      ev(3, 15, 'ready', 'network'),
      ev(4, 15, 'creating', 'database'),
    ]);
    const { fraction, remainingMs } = runProgress(state, at(25).getTime());
    expect(remainingMs).toBeCloseTo(38_000 + 1_000, -2);
    expect(fraction).toBeGreaterThan(0.3);
    expect(fraction).toBeLessThan(0.6);
  });

  it('is complete once the run has ended', () => {
    const state = applyEvents(initialRunState(run, graph), [
      ev(1, 0, 'run-started'),
      ev(2, 3, 'run-succeeded'),
    ]);
    expect(runProgress(state, at(3).getTime())).toEqual({ fraction: 1 });
  });
});

describe('layersOf', () => {
  it('puts each resource one column right of its deepest dependency', () => {
    const layers = layersOf([
      { resource: 'app', dependsOn: ['cluster', 'secrets'], status: 'queued' },
      { resource: 'network', dependsOn: [], status: 'queued' },
      { resource: 'cluster', dependsOn: ['network'], status: 'queued' },
      { resource: 'secrets', dependsOn: ['database'], status: 'queued' },
      { resource: 'database', dependsOn: ['network'], status: 'queued' },
    ]);
    expect(layers.map(l => l.map(n => n.resource))).toEqual([
      ['network'],
      ['cluster', 'database'],
      ['secrets'],
      ['app'],
    ]);
  });
});

it('formats durations for reading at a glance', () => {
  expect(formatDuration(420)).toBe('0.4s');
  expect(formatDuration(12_400)).toBe('12s');
  expect(formatDuration(245_000)).toBe('4m 05s');
  expect(formatDuration(3_720_000)).toBe('1h 02m');
});
