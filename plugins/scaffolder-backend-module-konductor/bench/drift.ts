/* eslint-disable no-console */
/**
 * `yarn bench:drift`: provisions BENCH_STACKS stacks (a network and a PostgreSQL database each,
 * default 200) in the sandbox through the engine, changes a twentieth of the databases out of
 * band as a console user would, then runs one full drift sweep as the scheduled scan does and
 * prints its total time, the time per stack, the AWS calls per resource and what it found; then
 * the change plan's latency for one stack. Exits non-zero when the sweep misses or invents drift.
 * The test command's smoke run uses BENCH_STACKS=3.
 */
import { ConfigReader } from '@backstage/config';
import {
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { startSandbox, SANDBOX_SECRET_ACCESS_KEY } from '@konductor/sandbox';
import {
  type DesiredStackState,
  type DriftReport,
  type StackSpec,
  parseStackSpec,
  planChange,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProviders,
  provisionStack,
} from '@konductor/plugin-provisioning-node';
import { awsProviderFromConfig } from '../src/awsProviderFromConfig';
import { DriftScanner } from '../src/driftScans';

const STACKS = Number(process.env.BENCH_STACKS ?? 200);
const ACCOUNT = '123456789012';
const silent = {
  info() {},
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
  debug() {},
  child: () => silent,
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
};

async function main() {
  // Fast cloud: the bench measures the scan, not RDS's creation time.
  const sandbox = await startSandbox({
    vpcLimit: STACKS + 10,
    durations: { vpc: 1, rdsInstance: 5, rdsModify: 5 },
  });
  try {
    const config = new ConfigReader({
      aws: {
        accounts: [
          {
            accountId: ACCOUNT,
            accessKeyId: `AKIA${ACCOUNT}`,
            secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
          },
        ],
      },
      konductor: { aws: { endpoint: sandbox.url, pollIntervalSeconds: 0.01 } },
    });
    const provider = awsProviderFromConfig(config, undefined, []);
    const specs = Array.from({ length: STACKS }, (_, i) =>
      parseStackSpec(
        {
          name: `drift${i}`,
          environment: 'dev',
          owner: 'group:default/bench',
          target: { provider: 'aws', accountId: ACCOUNT, region: 'us-east-1' },
          resources: {
            network: { cidr: '10.0.0.0/16', natGateways: 0 },
            database: {},
          },
        },
        provider.kinds,
      ),
    );
    const provisioningStarted = Date.now();
    for (let i = 0; i < specs.length; i += 20)
      await Promise.all(
        specs.slice(i, i + 20).map(spec =>
          provisionStack({
            spec,
            runId: `bench_${spec.name}-dev`,
            provider,
            checkpoint: async (_key, fn) => fn(),
            onEvent: () => {},
          }),
        ),
      );
    console.log(
      `Provisioned ${STACKS} stacks (network + database) in ${(
        (Date.now() - provisioningStarted) /
        1000
      ).toFixed(1)} s`,
    );

    // Out of band, as in the console: a larger class for one database in twenty.
    const rds = new RDSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: `AKIA${ACCOUNT}`,
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
      },
    });
    const changed = specs
      .filter((_, i) => i % 20 === 0)
      .map(spec => `${spec.name}-dev`);
    for (const stackId of changed)
      await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: `${stackId}-db`,
          DBInstanceClass: 'db.t4g.medium',
          ApplyImmediately: true,
        }),
      );
    for (const stackId of changed)
      for (;;) {
        const db = (
          await rds.send(
            new DescribeDBInstancesCommand({
              DBInstanceIdentifier: `${stackId}-db`,
            }),
          )
        ).DBInstances![0];
        if (db.DBInstanceStatus === 'available') break;
        await new Promise(r => setTimeout(r, 10));
      }

    // The sweep, as the scheduled scan runs it, against the desired states the backend lists.
    const states: DesiredStackState[] = specs.map(spec => ({
      accountId: ACCOUNT,
      region: 'us-east-1',
      stackId: `${spec.name}-dev`,
      owner: spec.owner!,
      version: 1,
      spec: spec as unknown as Record<string, unknown>,
      running: false,
    }));
    const reports = new Map<string, DriftReport>();
    const scanner = new DriftScanner({
      providers: new CloudProviders([provider]),
      logger: silent as any,
      platform: {
        listDesiredStates: async ({ offset, limit }) => ({
          items: states.slice(offset, offset + limit),
          totalCount: states.length,
        }),
        reportDrift: async (key, report) => {
          reports.set(key.stackId, report);
          return { ...report, resources: [] };
        },
      },
    });
    await fetch(`${sandbox.url}/__sandbox/calls`, { method: 'DELETE' });
    const started = Date.now();
    const sweep = await scanner.sweep();
    const elapsed = Date.now() - started;
    const calls = (
      (await (await fetch(`${sandbox.url}/__sandbox/calls`)).json()) as {
        calls: Record<string, number>;
      }
    ).calls;
    const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const resources = STACKS * 2;
    const found = [...reports.entries()]
      .filter(([, r]) => r.resources.some(x => x.state !== 'in-sync'))
      .map(([id]) => id)
      .sort();

    console.log(`\nDrift sweep of ${STACKS} stacks (${resources} resources):`);
    console.log(`  total              ${(elapsed / 1000).toFixed(2)} s`);
    console.log(`  per stack          ${(elapsed / STACKS).toFixed(1)} ms`);
    console.log(
      `  AWS calls          ${totalCalls} (${(totalCalls / resources).toFixed(
        2,
      )} per resource): ${Object.entries(calls)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `  scanned ${sweep.scanned}, skipped ${sweep.skipped}, failed ${sweep.failed}; drifted ${found.length} (changed out of band: ${changed.length})`,
    );

    // The change plan of one stack (a larger database), as the stack action computes it from the
    // last version before anything is changed: no cloud call.
    const kinds = provider.kinds;
    const bigger = structuredClone(specs[0]) as StackSpec;
    bigger.resources.database = {
      ...bigger.resources.database!,
      instanceClass: 'db.t4g.small',
    };
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = process.hrtime.bigint();
      planChange(specs[0], bigger, 1, kinds);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(
      `\nChange plan of one stack (computed, no cloud call): p50 ${percentile(
        latencies,
        0.5,
      ).toFixed(2)} ms, p95 ${percentile(latencies, 0.95).toFixed(2)} ms`,
    );

    const expected = [...changed].sort();
    if (
      sweep.failed ||
      JSON.stringify(found) !== JSON.stringify(expected) ||
      sweep.scanned !== STACKS
    ) {
      console.error(
        `The sweep found drift in ${
          found.join(', ') || 'no stack'
        }, not in ${expected.join(', ')}`,
      );
      process.exitCode = 1;
    }
  } finally {
    await sandbox.stop();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
