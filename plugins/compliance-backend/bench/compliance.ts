/* eslint-disable no-console */
/**
 * `yarn bench:compliance`: 10,000 entities (components with repositories, databases, secrets and
 * clusters) with their facts, evaluated by the compliance evaluator into its store on a SQLite
 * file. Prints the full evaluation's time and entities per second, then the latency from one
 * entity changing to its new status being queryable (evaluate it, read it back), p50/p95/max over
 * 50 changes. Facts come from an in-memory source, so the figures are the evaluator's and the
 * store's, not a cloud's. Targets on 2 cores: full evaluation under 10 s, one entity under 200 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import type { Entity } from '@backstage/catalog-model';
import type { JsonValue } from '@backstage/types';
import { ComplianceStore } from '../src/service/ComplianceStore';
import { Evaluator } from '../src/service/Evaluator';
import type { FactSource } from '@konductor/plugin-compliance-node';
import { catalogFacts } from '../src/service/factSources';

const COUNT = Number(process.env.BENCH_COUNT ?? 10_000);
const KINDS = [
  ['aws-rds-postgres', 'rds'],
  ['aws-secret', 'secrets'],
  ['aws-eks-cluster', 'eks'],
  ['component', 'github'],
] as const;

/** The facts of entity `i`: every tenth one is non-compliant somewhere. */
function factsOf(i: number): Record<string, JsonValue> {
  const bad = i % 10 === 0;
  return {
    'rds.storageEncrypted': !bad,
    'rds.backupRetentionDays': bad ? 3 : 7,
    'rds.multiAz': !bad,
    'rds.publiclyAccessible': false,
    'rds.deletionProtection': true,
    'secrets.rotationDays': bad ? null : 30,
    'eks.secretsEncrypted': true,
    'eks.logTypes': ['api', 'audit', 'authenticator'],
    'eks.endpointPublicAccess': bad,
    'eks.version': '1.34',
    'github.branchProtected': true,
    'github.requiredReviews': bad ? 0 : 2,
    'github.codeowners': true,
    'github.secretScanning': true,
    'github.pushProtection': !bad,
    'github.vulnerabilityAlerts': true,
    'techdocs.site': { built: !bad },
  };
}

function entity(i: number, version = 1): Entity {
  const [type] = KINDS[i % KINDS.length];
  const common = {
    owner: `group:default/team-${i % 40}`,
    system: `system-${i % 200}`,
  };
  return type === 'component'
    ? {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `entity-${i}`,
          etag: `v${version}`,
          description: 'A service',
          annotations: {
            'github.com/project-slug': `acme/entity-${i}`,
            'backstage.io/techdocs-ref': 'dir:.',
          },
        },
        spec: { type: 'service', lifecycle: 'production', ...common },
      }
    : {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Resource',
        metadata: {
          name: `entity-${i}`,
          etag: `v${version}`,
          tags: ['konductor', i % 3 ? 'dev' : 'prod'],
          annotations: {
            'konductor.dev/cloud-id': `arn:aws:x:us-east-1:1:${i}`,
          },
        },
        spec: { type, ...common },
      };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-bench-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'compliance.sqlite') },
    useNullAsDefault: true,
  });
  const store = await ComplianceStore.create({
    getClient: async () => knex,
    migrations: { skip: false },
  });
  const changed = new Map<string, Record<string, JsonValue>>();
  const memory: FactSource = {
    id: 'memory',
    facts: Object.keys(factsOf(1)),
    appliesTo: e => e.metadata.name.startsWith('entity-'),
    async read(e) {
      return (
        changed.get(e.metadata.name) ??
        factsOf(Number(e.metadata.name.slice(7)))
      );
    },
  };
  const evaluator = new Evaluator({
    store,
    defaultLevel: 'moderate',
    sources: [catalogFacts, memory],
  });
  const entities = Array.from({ length: COUNT }, (_, i) => entity(i));

  console.log(
    `Compliance evaluation on SQLite (file), ${os.cpus().length} cores, node ${
      process.version
    }`,
  );
  const started = performance.now();
  for (let i = 0; i < entities.length; i += 500)
    await evaluator.evaluate(entities.slice(i, i + 500));
  const seconds = (performance.now() - started) / 1000;
  const results = (await store.listResults({})).length;
  console.log(
    `full evaluation: ${COUNT} entities, ${results} results in ${seconds.toFixed(
      2,
    )} s (${Math.round(COUNT / seconds)} entities/s; target < 10 s)`,
  );

  // One entity changes (its facts and its etag); time until its new status is queryable.
  const latencies: number[] = [];
  for (let n = 0; n < 50; n++) {
    const i = (n * 197) % COUNT;
    changed.set(`entity-${i}`, {
      ...factsOf(i),
      'github.requiredReviews': n % 2 ? 0 : 2,
      'rds.backupRetentionDays': n % 2 ? 1 : 7,
      'secrets.rotationDays': n % 2 ? null : 30,
      'eks.endpointPublicAccess': n % 2 === 1,
    });
    const t0 = performance.now();
    await evaluator.evaluate([entity(i, n + 2)]);
    const status = await store.getEntity(
      `${entity(i).kind.toLocaleLowerCase('en-US')}:default/entity-${i}`,
    );
    latencies.push(performance.now() - t0);
    if (status.etag !== `v${n + 2}`)
      throw new Error('the new status was not stored');
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[
      Math.min(latencies.length - 1, Math.floor(q * latencies.length))
    ].toFixed(1);
  console.log(
    `one entity changed -> new status queryable: p50 ${at(0.5)} ms, p95 ${at(
      0.95,
    )} ms, max ${latencies[latencies.length - 1].toFixed(
      1,
    )} ms (n=50; target < 200 ms)`,
  );
  await knex.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
