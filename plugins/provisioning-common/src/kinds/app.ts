import { z } from 'zod/v3';
import { cents, defineKind } from './definition';
import { OUTPUT_REFERENCE, RESOURCE_KINDS, ResourceKind } from './vocabulary';
import { network } from './network';
import { database } from './database';
import { DATABASE_SECRET_KEYS, secrets } from './secrets';
import { cluster } from './cluster';

/** What a template author writes under `resources.app`. */
export const appSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .describe('Container image, for example ghcr.io/acme/shop:1.0.0.'),
    replicas: z.number().int().min(1).max(50).default(2),
    cpu: z
      .string()
      .regex(/^\d+(\.\d+)?m?$/, 'must be a CPU quantity such as 250m or 1')
      .default('250m'),
    memory: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, 'must be a memory quantity such as 512Mi or 1Gi')
      .default('512Mi'),
    port: z.number().int().min(1).max(65535).default(8080),
    healthCheckPath: z.string().startsWith('/').default('/healthz'),
    env: z
      .record(z.string())
      .default({})
      .describe(
        'Plain environment variables; values may reference outputs: ${database.endpoint}.',
      ),
    secretEnv: z
      .record(z.string())
      .default({})
      .describe(
        'Environment variables filled from secrets at run time: NAME -> "database.password", "database.url" or a generated secret name.',
      ),
    tls: z
      .boolean()
      .default(true)
      .describe('Serve the app over HTTPS on its ingress.'),
  })
  .strict();

/** What the app's environment may reference: the outputs of every other kind. */
const referenceable: Partial<Record<ResourceKind, string[]>> =
  Object.fromEntries(
    [network, database, secrets, cluster].map(d => [
      d.kind,
      Object.keys(d.outputs.shape),
    ]),
  );

/** The kinds the app's environment references (`${kind.output}`), itself left out. */
function referencedKinds(env: Record<string, string>): ResourceKind[] {
  const kinds = new Set<ResourceKind>();
  for (const value of Object.values(env))
    for (const m of value.matchAll(OUTPUT_REFERENCE))
      if (
        (RESOURCE_KINDS as readonly string[]).includes(m[1]) &&
        m[1] !== 'app'
      )
        kinds.add(m[1] as ResourceKind);
  return [...kinds];
}

/** The app: a container image deployed to the stack's cluster, with its secrets injected. */
export const app = defineKind({
  kind: 'app',
  schema: appSchema,
  outputs: z.object({
    url: z.string(),
    namespace: z.string(),
  }),
  dependsOn(stack) {
    const r = stack.resources;
    const deps = new Set<ResourceKind>();
    if (r.cluster) deps.add('cluster');
    if (r.secrets) deps.add('secrets');
    for (const kind of referencedKinds(r.app?.env ?? {})) deps.add(kind);
    return [...deps];
  },
  validate(stack, problem) {
    const r = stack.resources;
    const a = r.app!;
    if (!r.cluster)
      problem(
        'resources.app',
        'an app runs on a cluster: add resources.cluster',
      );
    for (const [name, value] of Object.entries(a.env)) {
      for (const m of value.matchAll(OUTPUT_REFERENCE)) {
        const [ref, kind, output] = m;
        const outputs = referenceable[kind as ResourceKind];
        if (kind === 'app') {
          problem(
            `resources.app.env.${name}`,
            `${ref}: the app cannot reference its own outputs`,
          );
        } else if (!outputs || !r[kind as ResourceKind]) {
          problem(
            `resources.app.env.${name}`,
            `${ref} refers to '${kind}', which is not a resource of this stack`,
          );
        } else if (!outputs.includes(output)) {
          problem(
            `resources.app.env.${name}`,
            `${ref}: ${kind} has no output '${output}'; it has ${outputs.join(
              ', ',
            )}`,
          );
        }
      }
    }
    for (const [name, source] of Object.entries(a.secretEnv)) {
      const [scope, key] = source.split('.');
      if (scope === 'database' && DATABASE_SECRET_KEYS.includes(key)) {
        if (!r.secrets?.databaseCredentials)
          problem(
            `resources.app.secretEnv.${name}`,
            `"${source}" needs secrets.databaseCredentials: true`,
          );
      } else if (!r.secrets?.generated.includes(source)) {
        problem(
          `resources.app.secretEnv.${name}`,
          `"${source}" is neither database.<${DATABASE_SECRET_KEYS.join(
            '|',
          )}> nor a name in secrets.generated`,
        );
      }
    }
  },
  plan: a => ({
    summary: `${a.image}, ${a.replicas} replicas on port ${a.port}${
      a.tls ? ', HTTPS' : ''
    }`,
    creates: ['namespace', 'secret', 'deployment', 'service', 'ingress'],
    monthlyCost: cents(0),
  }),
  typicalCreateSeconds: 90,
  catalogType: 'kubernetes-deployment',
  plannedFacts: a => ({
    'app.tls': { value: a.tls, field: 'resources.app.tls' },
  }),
});
