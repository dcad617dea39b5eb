/* eslint-disable no-console */
/**
 * `yarn bench:chaos`: crash safety measured as an operator sees it. A sandbox and a backend of
 * its own (SQLite files that outlive the process, or PostgreSQL with CHAOS_POSTGRES); the EKS app
 * stack template is run through the scaffolder's API as the guest user, and the backend is
 * killed at a random moment of each run and started again:
 *
 * - CHAOS_RUNS runs (default 10) killed with SIGKILL, and as many stopped with SIGTERM (a
 *   redeploy: the backend stops claiming tasks and exits, and task recovery takes them over);
 * - CHAOS_PAIRS pairs (default 5) of runs of one stack submitted at the same moment, with
 *   realistic creation latency.
 *
 * Create calls are answered after a realistic latency (CREATE_LATENCY), and every other run is
 * stopped inside one; the others at a random moment.
 *
 * Prints, per phase, the runs completed without manual action, where the kill landed, the time
 * from the restarted backend being ready to the run's end, and, from the sandbox's inspection,
 * duplicated cloud resources (against an undisturbed run of the same template) and, after every
 * stack is destroyed through the Destroy template, what is left. BENCH_TINY=1 is the test
 * command's smoke run: one run of each kind, short cloud latencies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PLATFORM_HUB,
  startSandbox,
  Sandbox,
  SandboxResource,
} from '@konductor/sandbox';
import {
  BackendProcess,
  dropBackendDatabases,
  GuestApi,
  writeBackendConfig,
} from '../src/__testUtils__/backendProcess';

const TINY = process.env.BENCH_TINY === '1';
const RUNS = Number(process.env.CHAOS_RUNS ?? (TINY ? 1 : 10));
const PAIRS = Number(process.env.CHAOS_PAIRS ?? (TINY ? 1 : 5));
const SCALE = TINY ? 0.3 : 1;
const SANDBOX_PORT = Number(process.env.CHAOS_SANDBOX_PORT ?? 4766);
const BACKEND_PORT = Number(process.env.CHAOS_BACKEND_PORT ?? 7307);
/** Services whose resources are cloud resources of a stack (not repositories or tickets). */
const CLOUD = new Set(['ec2', 'rds', 'secretsmanager', 'eks', 'kubernetes']);

const ms = (n: number) => Math.round(n * SCALE);
/** How long a create call takes to be answered, as real services take (realistic latency). */
const CREATE_LATENCY: [service: string, operation: string, ms: number][] = [
  ['ec2', 'CreateVpc', 800],
  ['ec2', 'CreateSubnet', 300],
  ['ec2', 'CreateSecurityGroup', 400],
  ['rds', 'CreateDBSubnetGroup', 500],
  ['rds', 'CreateDBInstance', 1500],
  ['secretsmanager', 'CreateSecret', 500],
  ['eks', 'CreateCluster', 1500],
  ['eks', 'CreateNodegroup', 1000],
];

/**
 * Create calls as the sandbox receives them: each is in flight for its latency. `after(n)`
 * resolves once the create call after the next `n` starts, with its name and latency, so a kill
 * can land inside it.
 */
function watchCreateCalls(sandbox: Sandbox) {
  const faults = sandbox.faults;
  const check = faults.check.bind(faults);
  let waiting: { skip: number; resolve: (call: string) => void } | undefined;
  faults.check = (service, operation) => {
    const outcome = check(service, operation);
    if (waiting && operation.startsWith('Create') && outcome.latencyMs > 0) {
      if (waiting.skip-- === 0) {
        waiting.resolve(
          `${operation} (answered after ${outcome.latencyMs} ms)`,
        );
        waiting = undefined;
      }
    }
    return outcome;
  };
  return {
    after: (skip: number) =>
      new Promise<string>(resolve => (waiting = { skip, resolve })),
  };
}
const sleep = (n: number) => new Promise(r => setTimeout(r, n));
const seconds = (n: number) => `${(n / 1000).toFixed(1)} s`;

/** The stack a sandbox resource belongs to, from its tags (or a Kubernetes namespace). */
function stackOf(r: SandboxResource): string {
  const data = r.data as any;
  if (r.service === 'kubernetes')
    return data.metadata?.namespace ?? data.metadata?.name;
  const tags = data.tags;
  if (Array.isArray(tags))
    return tags.find((t: any) => t.Key === 'konductor:stack')?.Value ?? '';
  return tags?.['konductor:stack'] ?? '';
}

/** Cloud resources per stack and `service/type`. */
function cloudInventory(sandbox: Sandbox) {
  const byStack = new Map<string, Map<string, number>>();
  for (const r of sandbox.state.all()) {
    // The platform's hub (its Argo CD) is the platform's, not a stack's.
    if (!CLOUD.has(r.service) || r.account === PLATFORM_HUB.accountId) continue;
    const stack = stackOf(r) || '(untagged)';
    const counts = byStack.get(stack) ?? new Map<string, number>();
    const type = `${r.service}/${r.type}`;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    byStack.set(stack, counts);
  }
  return byStack;
}

/** Resources of `stack` beyond what an undisturbed run of the template creates. */
function duplicates(
  sandbox: Sandbox,
  stack: string,
  baseline: Map<string, number>,
): string[] {
  const counts = cloudInventory(sandbox).get(stack) ?? new Map();
  return [...counts].flatMap(([type, n]) =>
    n > (baseline.get(type) ?? 0)
      ? [`${type} x${n - (baseline.get(type) ?? 0)}`]
      : [],
  );
}

interface Outcome {
  stack: string;
  landed: string;
  status: string;
  /** From the signal to the process's exit. */
  exitMs: number;
  restartToEndMs: number;
  duplicates: string[];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
};

function report(title: string, outcomes: Outcome[]) {
  const done = outcomes.filter(o => o.status === 'completed');
  const times = outcomes.map(o => o.restartToEndMs);
  console.log(`\n${title}`);
  for (const o of outcomes)
    console.log(
      `  ${o.stack}: ${o.status}; stopped at "${o.landed}", exited in ${seconds(
        o.exitMs,
      )}; restart to end ${seconds(o.restartToEndMs)}; duplicates: ${
        o.duplicates.join(', ') || 'none'
      }`,
    );
  console.log(
    `  completed without manual action: ${done.length}/${outcomes.length}`,
  );
  console.log(
    `  duplicated cloud resources: ${outcomes.reduce(
      (n, o) => n + o.duplicates.length,
      0,
    )}`,
  );
  if (times.length)
    console.log(
      `  restart to end: p50 ${seconds(percentile(times, 0.5))}, max ${seconds(
        Math.max(...times),
      )}`,
    );
  return done.length === outcomes.length;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-chaos-'));
  const sandbox = await startSandbox({
    port: SANDBOX_PORT,
    platformHub: true,
    vpcLimit: 100,
    durations: {
      vpc: ms(1000),
      rdsInstance: ms(8000),
      rdsInstanceDelete: ms(3000),
      eksCluster: ms(12000),
      eksClusterDelete: ms(3000),
      eksNodegroup: ms(5000),
      eksNodegroupDelete: ms(2000),
      deployment: ms(2000),
      natGateway: ms(2000),
      natGatewayDelete: ms(1000),
      cacheReplicationGroup: ms(6000),
      cacheReplicationGroupDelete: ms(2000),
      dnsChange: ms(1000),
      certificateRecord: ms(500),
      certificateIssue: ms(3000),
    },
    faults: CREATE_LATENCY.map(([service, operation, latency]) => ({
      service,
      operation,
      kind: 'latency' as const,
      latencyMs: ms(latency),
    })),
  });
  const createCalls = watchCreateCalls(sandbox);
  const postgres = process.env.CHAOS_POSTGRES;
  const config = writeBackendConfig({
    dir,
    backendPort: BACKEND_PORT,
    sandboxPort: SANDBOX_PORT,
    postgres,
    extra: {
      // Quick hand-over and reconciliation, so a run's time after a restart is mostly its work.
      scaffolder: { taskRecovery: { staleTimeout: { seconds: 10 } } },
      konductor: {
        provisioning: {
          reconciler: { quietSeconds: 20, intervalSeconds: 10 },
        },
      },
    },
  });
  const backend = new BackendProcess({ dir, config, port: BACKEND_PORT });
  const api = new GuestApi(backend.url, SANDBOX_PORT);
  console.log(
    `chaos bench: ${RUNS} SIGKILL runs, ${RUNS} SIGTERM runs, ${PAIRS} pairs${
      TINY ? ' (tiny)' : ''
    }; ${postgres ? 'PostgreSQL' : 'SQLite'}; logs in ${dir}`,
  );
  let ok = true;
  try {
    console.log(`backend ready in ${seconds(await backend.start())}`);
    await api.signIn();
    await api.waitForTemplates('eks-app-stack', 'destroy-stack');

    // An undisturbed run: how long a run takes, and what it creates.
    const started = Date.now();
    const base = await api.provision('chaos-base');
    const baseStatus = await api.finished(base);
    const runMs = Date.now() - started;
    if (baseStatus !== 'completed')
      throw new Error(
        `the undisturbed run ended ${baseStatus}: ${await api.error(base)}`,
      );
    const baseline = cloudInventory(sandbox).get('chaos-base-dev')!;
    console.log(
      `undisturbed run: ${seconds(runMs)}, ${[...baseline.values()].reduce(
        (a, b) => a + b,
      )} cloud resources`,
    );
    const stacks = ['chaos-base'];

    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const outcomes: Outcome[] = [];
      for (let i = 1; i <= RUNS; i++) {
        const name = `chaos-${signal === 'SIGKILL' ? 'k' : 't'}${i}`;
        stacks.push(name);
        // Every other run is stopped inside a create call the cloud has not answered yet; the
        // others at a random moment: the gate, the repository, a create call, a long wait.
        const inCall = i % 2 === 1;
        // A run makes 10 create calls (VPC, 2 subnets, 2 security groups, DB subnet group, DB
        // instance, secret, cluster, node group): any of them.
        const call = inCall
          ? createCalls.after(Math.floor(Math.random() * 10))
          : undefined;
        const task = await api.provision(name);
        let landed: string;
        if (call) {
          landed = await Promise.race([
            call.then(c => `inside ${c}`),
            api.finished(task).then(end => `after the run ended ${end}`),
          ]);
          await sleep(ms(200));
        } else {
          await sleep(500 + Math.random() * (runMs - 500));
          landed =
            (await api.runEvents(task, `${name}-dev`)).at(-1)?.message ??
            'before the stack action';
        }
        const exitMs = await backend.stop(signal);
        const restartedAt = Date.now() + (await backend.start());
        await api.signIn();
        const status = await api.finished(task);
        outcomes.push({
          stack: name,
          landed,
          status:
            status === 'completed'
              ? status
              : `${status}: ${await api.error(task)}`,
          exitMs,
          restartToEndMs: Date.now() - restartedAt,
          duplicates: duplicates(sandbox, `${name}-dev`, baseline),
        });
      }
      ok =
        report(
          `${signal}: the backend ${
            signal === 'SIGKILL' ? 'killed' : 'stopped (a redeploy)'
          } during each run, then started again`,
          outcomes,
        ) && ok;
      ok = ok && outcomes.every(o => !o.duplicates.length);
    }

    // Pairs: two runs of one stack submitted at once; the lease lets one of them work on it.
    console.log('\nPairs: two runs of one stack at the same moment');
    let pairDuplicates = 0;
    let bothSucceeded = 0;
    let intact = 0;
    for (let i = 1; i <= PAIRS; i++) {
      const name = `chaos-p${i}`;
      stacks.push(name);
      const tasks = await Promise.all([
        api.provision(name, `${name}-a`),
        api.provision(name, `${name}-b`),
      ]);
      const ends = await Promise.all(tasks.map(t => api.finished(t)));
      const loser = tasks[ends.indexOf('failed')];
      const why = loser ? await api.error(loser) : '';
      const dups = duplicates(sandbox, `${name}-dev`, baseline);
      const complete =
        [...baseline].every(
          ([type, n]) =>
            cloudInventory(sandbox).get(`${name}-dev`)?.get(type) === n,
        ) && ends.includes('completed');
      pairDuplicates += dups.length;
      if (ends.every(e => e === 'completed')) bothSucceeded += 1;
      if (complete) intact += 1;
      console.log(
        `  ${name}: ${ends.join(' / ')}${
          why ? ` (refused: ${why.slice(0, 140)})` : ''
        }; stack intact: ${complete}; duplicates: ${dups.join(', ') || 'none'}`,
      );
    }
    console.log(
      `  one run completed and the stack intact: ${intact}/${PAIRS}; duplicated cloud resources: ${pairDuplicates}`,
    );
    ok = ok && pairDuplicates === 0 && intact === PAIRS && !bothSucceeded;

    // Destroy every stack, as its owner would, and see what is left.
    const destroyed = await Promise.all(
      stacks.map(async name => {
        const task = await api.destroy(name);
        const status = await api.finished(task);
        return status === 'completed'
          ? undefined
          : `${name}: ${status}: ${await api.error(task)}`;
      }),
    );
    const left = [...cloudInventory(sandbox)].flatMap(([stack, counts]) =>
      [...counts].map(([type, n]) => `${stack} ${type} x${n}`),
    );
    console.log(
      `\nAfter destroying all ${stacks.length} stacks: ${
        left.length ? left.join(', ') : 'no cloud resource left'
      }`,
    );
    for (const failure of destroyed.filter(Boolean))
      console.log(`  destroy failed: ${failure}`);
    ok = ok && !left.length && destroyed.every(d => !d);
  } finally {
    await backend.stop('SIGTERM').catch(() => undefined);
    await dropBackendDatabases(config);
    await sandbox.stop();
  }
  console.log(
    ok ? '\nchaos bench: all goals met' : '\nchaos bench: goals NOT met',
  );
  if (!ok) process.exitCode = 1;
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
