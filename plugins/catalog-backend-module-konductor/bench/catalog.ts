/* eslint-disable no-console */
/**
 * `yarn bench:catalog`: loads 2,000 ServiceDefinitions into a real catalog backend on SQLite (a
 * database file, as the embedded default), and in the same run 2,000 plain Components into
 * another, and prints the time to every entity fully processed (for
 * the definitions: each definition and the Template generated from it in the catalog), and the
 * ratio. Times run from the backend's start (the file is a configured location). Target:
 * definitions at most 1.5x the Components' time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import request from 'supertest';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogModuleKonductor from '../src';

const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const root = path.resolve(__dirname, '../../..');
const auth = mockCredentials.service.header();

/** Starts a catalog backend on a fresh SQLite file, registers `docs` as one file and waits. */
async function load(
  label: string,
  docs: object[],
  done: Record<string, number>,
): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-bench-'));
  const file = path.join(dir, 'entities.yaml');
  fs.writeFileSync(file, docs.map(d => yaml.stringify(d)).join('---\n'));
  // From the backend's start: the file is a configured location, read at startup.
  const started = performance.now();
  const backend = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          backend: {
            baseUrl: 'http://localhost:7007',
            database: {
              client: 'better-sqlite3',
              connection: { directory: dir },
            },
          },
          catalog: {
            locations: [{ type: 'file', target: file }],
            rules: [
              {
                allow: [
                  'Component',
                  'Location',
                  'Template',
                  'ServiceDefinition',
                ],
              },
            ],
          },
          // The provisioned-resources provider has nothing to read here.
          konductor: {
            catalog: {
              schedule: {
                frequency: { hours: 24 },
                timeout: { minutes: 1 },
                initialDelay: { hours: 1 },
              },
            },
          },
        },
      }),
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      catalogModuleKonductor,
    ],
  });
  for (;;) {
    const counts = await Promise.all(
      Object.keys(done).map(async kind => {
        const res = await request(backend.server)
          .get('/api/catalog/entities/by-query')
          .query({ filter: `kind=${kind}`, limit: 1 })
          .set('Authorization', auth);
        return res.body.totalItems as number;
      }),
    );
    if (Object.values(done).every((n, i) => counts[i] >= n)) break;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: ${Object.entries(done)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(' + ')} fully processed in ${seconds.toFixed(2)} s`,
  );
  await backend.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return seconds;
}

async function main() {
  const definition = yaml.parse(
    fs.readFileSync(
      path.join(root, 'catalog/service-definitions/private-network.yaml'),
      'utf8',
    ),
  );
  const components = Array.from({ length: COUNT }, (_, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: `component-${i}`, description: `Component ${i}` },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team',
    },
  }));
  const definitions = Array.from({ length: COUNT }, (_, i) => ({
    ...definition,
    metadata: { ...definition.metadata, name: `definition-${i}` },
  }));

  console.log(
    `Catalog backend on SQLite (file), ${os.cpus().length} cores, node ${
      process.version
    }`,
  );
  const plain = await load('Components', components, { component: COUNT });
  const defs = await load('ServiceDefinitions', definitions, {
    servicedefinition: COUNT,
    template: COUNT,
  });
  console.log(
    `ratio definitions/components: ${(defs / plain).toFixed(
      2,
    )}x (target <= 1.5x)`,
  );
  // Each definition is two catalog entities (itself and its Template), each of which takes its
  // own pass through the catalog's processing and stitching: per entity, the ratio is this.
  console.log(
    `per entity: definitions and templates ${(
      (defs / (2 * COUNT)) *
      1000
    ).toFixed(1)} ms, components ${((plain / COUNT) * 1000).toFixed(1)} ms`,
  );
}

main()
  .then(() => process.exit(0))
  .catch(error => {
    console.error(error);
    process.exit(1);
  });
