import { z } from 'zod/v3';
import { cents, defineKind } from './definition';
import { OUTPUT_REFERENCE } from './vocabulary';
import { secretsSchema } from './secrets';
import {
  APP_CATEGORIES,
  APP_CATEGORY_TITLES,
  chartKinds,
  isCronSchedule,
} from '../charts';

/** What a template author writes for the app (`resources.app`). */
export const appSchema = z
  .object({
    category: z
      .enum(APP_CATEGORIES)
      .default('web-service')
      .describe(
        `What the app is, which decides the objects its chart renders: ${APP_CATEGORIES.map(
          c => `${c}, a ${APP_CATEGORY_TITLES[c]}`,
        ).join('; ')}.`,
      ),
    schedule: z
      .string()
      .optional()
      .describe(
        'When a cron-job runs, in cron syntax (five fields, such as "0 3 * * *", or @hourly, @daily...). Only for cron-job.',
      ),
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
        'Plain environment variables; values may reference outputs: ${database.endpoint} or ${orders-db.endpoint}.',
      ),
    secretEnv: z
      .record(z.string())
      .default({})
      .describe(
        'Environment variables filled from secrets at run time: NAME -> a secret a resource holds ("database.password", "orders-db.url", "cache.url") or a generated secret name.',
      ),
    tls: z
      .boolean()
      .default(true)
      .describe('Serve the app over HTTPS on its ingress.'),
    domain: z
      .string()
      .optional()
      .describe(
        'A resource of this stack that gives the app a DNS name and TLS certificate of its own (a domain): the app is served at its fqdn with its certificate (outputs fqdn and arn).',
      ),
  })
  .strict();

/** The resources the app's environment references (`${name.output}`). */
function referencedNames(env: Record<string, string>): string[] {
  const names = new Set<string>();
  for (const value of Object.values(env))
    for (const m of value.matchAll(OUTPUT_REFERENCE)) names.add(m[1]);
  return [...names];
}

function planSummary(a: z.output<typeof appSchema>): string {
  switch (a.category) {
    case 'cron-job':
      return `cron job ${a.image}, on schedule ${a.schedule}`;
    case 'worker':
      return `worker ${a.image}, ${a.replicas} replicas`;
    case 'api':
      return `API ${a.image}, ${a.replicas} replicas on port ${a.port}, inside the cluster`;
    default:
      return `${a.image}, ${a.replicas} replicas on port ${a.port}${
        a.tls ? ', HTTPS' : ''
      }${a.domain ? ` at the name of ${a.domain}` : ''}`;
  }
}

/** The app: a container image deployed to the stack's cluster, with its secrets injected. */
export const app = defineKind({
  kind: 'app',
  title: 'an app on the cluster',
  onePerStack: true,
  requires: ['cluster'],
  schema: appSchema,
  outputs: z.object({
    /** Where a web service or an API answers; none for workers and cron jobs. */
    url: z.string().optional(),
    namespace: z.string(),
    /** The GitOps commit Argo CD synced (delivery through git): what a rollback returns to. */
    revision: z.string().optional(),
  }),
  dependsOn: ({ name, spec, named, outputsOf, secretsOf }) => [
    ...named('secrets'),
    ...referencedNames(spec.env).filter(
      n => n !== name && outputsOf(n) !== undefined,
    ),
    // The resources whose secrets it receives.
    ...Object.values(spec.secretEnv)
      .map(source => source.split('.')[0])
      .filter(n => n !== name && secretsOf(n).length),
    ...(spec.domain && outputsOf(spec.domain) ? [spec.domain] : []),
  ],
  validate({ name, spec: a, stack, named, outputsOf, secretsOf }, problem) {
    for (const [variable, value] of Object.entries(a.env)) {
      for (const m of value.matchAll(OUTPUT_REFERENCE)) {
        const [ref, target, output] = m;
        const outputs = outputsOf(target);
        if (target === name) {
          problem(
            `env.${variable}`,
            `${ref}: the app cannot reference its own outputs`,
          );
        } else if (!outputs) {
          problem(
            `env.${variable}`,
            `${ref} refers to '${target}', which is not a resource of this stack`,
          );
        } else if (!outputs.includes(output)) {
          problem(
            `env.${variable}`,
            `${ref}: ${target} has no output '${output}'; it has ${outputs.join(
              ', ',
            )}`,
          );
        }
      }
    }
    if (a.category === 'cron-job') {
      if (a.schedule === undefined)
        problem(
          'schedule',
          'a cron-job needs a schedule, such as "0 3 * * *" (every day at 03:00) or @hourly',
        );
      else if (!isCronSchedule(a.schedule))
        problem(
          'schedule',
          `"${a.schedule}" is not a cron schedule: write five fields (minute hour day-of-month month day-of-week, such as "0 3 * * *") or @hourly, @daily, @weekly, @monthly`,
        );
    } else if (a.schedule !== undefined)
      problem(
        'schedule',
        `only a cron-job runs on a schedule; this app is a ${a.category}: remove schedule, or set category: cron-job`,
      );
    if (a.domain !== undefined && a.category !== 'web-service')
      problem(
        'domain',
        `only a web-service is served on its own name; this app is a ${a.category}, which has no ingress: remove domain, or set category: web-service`,
      );
    else if (a.domain !== undefined) {
      const outputs = outputsOf(a.domain);
      if (!outputs || a.domain === name)
        problem(
          'domain',
          `'${a.domain}' is not a resource of this stack: name the domain resource that gives the app its DNS name`,
        );
      else if (!outputs.includes('fqdn') || !outputs.includes('arn'))
        problem(
          'domain',
          `'${a.domain}' gives no DNS name and certificate (outputs fqdn and arn): name a resource of kind domain`,
        );
      else if (!a.tls)
        problem(
          'tls',
          `the domain '${a.domain}' serves the app over HTTPS with its certificate: set tls: true, or remove domain`,
        );
    }
    const [secretsName] = named('secrets');
    const secrets = secretsName
      ? (stack.resources[secretsName] as unknown as z.output<
          typeof secretsSchema
        >)
      : undefined;
    for (const [variable, source] of Object.entries(a.secretEnv)) {
      const [scope, key] = source.split('.');
      const held = secretsOf(scope);
      if (held.length) {
        if (!held.includes(key))
          problem(
            `secretEnv.${variable}`,
            `"${source}": ${scope} holds the secrets ${held.join(
              ', ',
            )}; it has no '${key}'`,
          );
      } else if (!secrets?.generated.includes(source)) {
        problem(
          `secretEnv.${variable}`,
          `"${source}" is neither a secret of a resource of this stack (<name>.<key>, such as database.password) nor a name in secrets.generated`,
        );
      }
    }
  },
  plan: a => ({
    summary: planSummary(a),
    creates: ['namespace', 'secret', ...chartKinds(a.category)],
    monthlyCost: cents(0),
  }),
  typicalCreateSeconds: 90,
  catalogType: 'kubernetes-deployment',
  // A re-run renders and applies the app again (through git, or to the cluster): its pods are
  // replaced by a rolling update.
  changes: {
    image: { inPlace: true },
    replicas: { inPlace: true },
    cpu: { inPlace: true },
    memory: { inPlace: true },
    port: { inPlace: true },
    healthCheckPath: { inPlace: true },
    env: { inPlace: true },
    secretEnv: { inPlace: true },
    schedule: { inPlace: true },
    tls: { inPlace: true },
    domain: { inPlace: true },
    category: {
      inPlace: false,
      why: "an app's category is chosen when it is created: make a new app under another name",
    },
  },
  plannedFacts: a => ({
    'app.tls': { value: a.tls, field: 'tls' },
  }),
});
