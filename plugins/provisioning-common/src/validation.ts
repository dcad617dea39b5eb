import {
  OUTPUT_REFERENCE,
  RESOURCE_KINDS,
  ResourceKind,
  StackSpec,
  stackSpecSchema,
} from './stackSpec';
import { PRICES } from './prices';
import { EKS_RELEASES } from './kubernetesReleases';

/** PostgreSQL versions Konductor's AWS provider offers. */
export const POSTGRES_VERSIONS = ['13.20', '14.17', '15.12', '16.8', '17.4'];
/** Kubernetes versions Konductor's AWS provider offers: those in the EKS release calendar. */
export const KUBERNETES_VERSIONS = Object.keys(EKS_RELEASES);

/** The non-secret outputs of each resource kind, which other resources can reference. */
export const RESOURCE_OUTPUTS: Record<ResourceKind, string[]> = {
  network: ['vpcId', 'subnetIds', 'cidr'],
  database: [
    'endpoint',
    'port',
    'instanceId',
    'arn',
    'username',
    'databaseName',
  ],
  secrets: ['databaseSecretArn'],
  cluster: ['clusterName', 'endpoint', 'arn'],
  app: ['url', 'namespace'],
};

/** The secret values an app can receive as environment variables (`secretEnv`). */
export const DATABASE_SECRET_KEYS = [
  'password',
  'username',
  'host',
  'port',
  'url',
];

/** One problem with a stack spec: where it is and what to change. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** The result of {@link validateStackSpec}. */
export type SpecValidation =
  | { valid: true; spec: StackSpec; problems: [] }
  | { valid: false; problems: SpecProblem[] };

/** Lower-case letters, digits and single dashes, starting with a letter: accepted by every service. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
}

/** Parses an IPv4 CIDR into [network address, prefix], or undefined. */
export function parseCidr(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(
    cidr,
  );
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some(o => o > 255) || prefix > 32) return undefined;
  const address =
    ((octets[0] << 24) >>> 0) +
    (octets[1] << 16) +
    (octets[2] << 8) +
    octets[3];
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (address & mask) >>> 0 === address ? [address, prefix] : undefined;
}

const formatIp = (n: number) =>
  [24, 16, 8, 0].map(s => (n >>> s) & 255).join('.');

/** Splits a CIDR into `count` equal subnets (the smallest power of two that fits). */
export function splitCidr(cidr: string, count: number): string[] {
  const [address, prefix] = parseCidr(cidr)!;
  const bits = Math.ceil(Math.log2(Math.max(count, 1)));
  const size = 2 ** (32 - prefix - bits);
  return Array.from(
    { length: count },
    (_, i) => `${formatIp(address + i * size)}/${prefix + bits}`,
  );
}

/** The resources a resource waits for: its kind's fixed dependencies plus what it references. */
export function dependenciesOf(
  spec: StackSpec,
  kind: ResourceKind,
): ResourceKind[] {
  const r = spec.resources;
  const deps = new Set<ResourceKind>();
  if ((kind === 'database' || kind === 'cluster') && r.network)
    deps.add('network');
  if (kind === 'secrets' && r.secrets?.databaseCredentials && r.database)
    deps.add('database');
  if (kind === 'app') {
    if (r.cluster) deps.add('cluster');
    if (r.secrets) deps.add('secrets');
    for (const value of Object.values(r.app?.env ?? {})) {
      for (const m of value.matchAll(OUTPUT_REFERENCE)) {
        if (
          (RESOURCE_KINDS as readonly string[]).includes(m[1]) &&
          m[1] !== kind
        )
          deps.add(m[1] as ResourceKind);
      }
    }
  }
  return [...deps];
}

/** The resources of a spec in an order where each comes after its dependencies. */
export function topologicalOrder(spec: StackSpec): ResourceKind[] {
  const present = RESOURCE_KINDS.filter(k => spec.resources[k]);
  const done: ResourceKind[] = [];
  while (done.length < present.length) {
    const next = present.filter(
      k =>
        !done.includes(k) &&
        dependenciesOf(spec, k).every(d => done.includes(d)),
    );
    if (!next.length) throw new Error('The stack has a dependency cycle');
    done.push(...next);
  }
  return done;
}

/** Replaces `${kind.output}` references with values from `outputs`. */
export function resolveReferences(
  value: string,
  outputs: Partial<Record<ResourceKind, Record<string, unknown>>>,
): string {
  return value.replace(
    OUTPUT_REFERENCE,
    (_, kind: ResourceKind, name: string) => {
      const v = outputs[kind]?.[name];
      if (v === undefined)
        throw new Error(
          `The reference \${${kind}.${name}} has no value: ${kind} has not produced '${name}'`,
        );
      return Array.isArray(v) ? v.join(',') : String(v);
    },
  );
}

/**
 * Validates a stack spec, reporting every problem at once with the field it concerns and what to
 * change, before any cloud call is made.
 */
export function validateStackSpec(input: unknown): SpecValidation {
  const parsed = stackSpecSchema.safeParse(input);
  if (!parsed.success) {
    return {
      valid: false,
      problems: parsed.error.issues.map(i => ({
        path: i.path.join('.') || '(spec)',
        message:
          i.code === 'unrecognized_keys'
            ? `unknown field(s) ${i.keys.join(
                ', ',
              )}: remove them or check the spelling`
            : i.message,
      })),
    };
  }
  const spec = parsed.data;
  const problems: SpecProblem[] = [];
  const problem = (path: string, message: string) =>
    problems.push({ path, message });
  const r = spec.resources;

  const slug = sanitizeName(spec.name);
  if (!slug)
    problem(
      'name',
      `"${spec.name}" has no letters to build resource names from: use lower-case letters, digits and dashes, starting with a letter`,
    );
  else if (slug.length > 40)
    problem(
      'name',
      `"${spec.name}" is ${slug.length} characters after sanitizing; use at most 40 so every cloud resource name fits`,
    );
  if (!RESOURCE_KINDS.some(k => r[k]))
    problem(
      'resources',
      'the stack has no resources: add at least one of network, database, secrets, cluster, app',
    );

  if (r.network) {
    const cidr = parseCidr(r.network.cidr);
    if (!cidr) {
      problem(
        'resources.network.cidr',
        `"${r.network.cidr}" is not an IPv4 network in CIDR notation, such as 10.0.0.0/16 (host bits must be zero)`,
      );
    } else if (cidr[1] < 16 || cidr[1] > 28) {
      problem(
        'resources.network.cidr',
        `/${cidr[1]} is outside what a VPC accepts: use a prefix from /16 to /28`,
      );
    } else {
      // One private subnet per zone, and one public subnet per zone when there are NAT gateways.
      const subnets =
        r.network.availabilityZones * (r.network.natGateways > 0 ? 2 : 1);
      const subnetPrefix = cidr[1] + Math.ceil(Math.log2(subnets));
      if (subnetPrefix > 28) {
        problem(
          'resources.network.cidr',
          `${r.network.cidr} cannot hold ${subnets} subnets of at least /28: use a larger range or fewer availability zones`,
        );
      }
    }
    if (r.network.natGateways > r.network.availabilityZones) {
      problem(
        'resources.network.natGateways',
        `${r.network.natGateways} NAT gateways for ${r.network.availabilityZones} availability zones: use at most one per zone`,
      );
    }
  }

  if (r.database) {
    if (!r.network)
      problem(
        'resources.database',
        'a database needs a network: add resources.network',
      );
    if (!POSTGRES_VERSIONS.includes(r.database.engineVersion)) {
      problem(
        'resources.database.engineVersion',
        `PostgreSQL ${
          r.database.engineVersion
        } is not offered: choose one of ${POSTGRES_VERSIONS.join(', ')}`,
      );
    }
    if (!(r.database.instanceClass in PRICES.rdsInstanceHourly)) {
      problem(
        'resources.database.instanceClass',
        `unknown instance class ${
          r.database.instanceClass
        }: choose one of ${Object.keys(PRICES.rdsInstanceHourly).join(', ')}`,
      );
    }
  }

  if (r.secrets?.databaseCredentials && !r.database) {
    problem(
      'resources.secrets.databaseCredentials',
      'there is no database to store credentials for: add resources.database or set databaseCredentials to false',
    );
  }
  if (
    r.secrets &&
    new Set(r.secrets.generated).size !== r.secrets.generated.length
  ) {
    problem(
      'resources.secrets.generated',
      'each generated secret name must appear once',
    );
  }

  if (r.cluster) {
    const c = r.cluster;
    if (!r.network)
      problem(
        'resources.cluster',
        'a cluster needs a network: add resources.network',
      );
    if (!KUBERNETES_VERSIONS.includes(c.kubernetesVersion)) {
      problem(
        'resources.cluster.kubernetesVersion',
        `Kubernetes ${
          c.kubernetesVersion
        } is not offered: choose one of ${KUBERNETES_VERSIONS.join(', ')}`,
      );
    }
    if (c.minNodes > c.maxNodes)
      problem(
        'resources.cluster.minNodes',
        `minNodes (${c.minNodes}) is above maxNodes (${c.maxNodes}): lower minNodes or raise maxNodes`,
      );
    if (c.desiredNodes < c.minNodes || c.desiredNodes > c.maxNodes) {
      problem(
        'resources.cluster.desiredNodes',
        `desiredNodes (${c.desiredNodes}) must lie between minNodes (${c.minNodes}) and maxNodes (${c.maxNodes})`,
      );
    }
    if (!(c.nodeInstanceType in PRICES.ec2InstanceHourly)) {
      problem(
        'resources.cluster.nodeInstanceType',
        `unknown instance type ${
          c.nodeInstanceType
        }: choose one of ${Object.keys(PRICES.ec2InstanceHourly).join(', ')}`,
      );
    }
  }

  if (r.app) {
    if (!r.cluster)
      problem(
        'resources.app',
        'an app runs on a cluster: add resources.cluster',
      );
    for (const [name, value] of Object.entries(r.app.env)) {
      for (const m of value.matchAll(OUTPUT_REFERENCE)) {
        const [ref, kind, output] = m;
        if (
          !(RESOURCE_KINDS as readonly string[]).includes(kind) ||
          !r[kind as ResourceKind]
        ) {
          problem(
            `resources.app.env.${name}`,
            `${ref} refers to '${kind}', which is not a resource of this stack`,
          );
        } else if (kind === 'app') {
          problem(
            `resources.app.env.${name}`,
            `${ref}: the app cannot reference its own outputs`,
          );
        } else if (!RESOURCE_OUTPUTS[kind as ResourceKind].includes(output)) {
          problem(
            `resources.app.env.${name}`,
            `${ref}: ${kind} has no output '${output}'; it has ${RESOURCE_OUTPUTS[
              kind as ResourceKind
            ].join(', ')}`,
          );
        }
      }
    }
    for (const [name, source] of Object.entries(r.app.secretEnv)) {
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
  }

  return problems.length
    ? { valid: false, problems }
    : { valid: true, spec: { ...spec, name: slug }, problems: [] };
}

/** Formats problems as one message that names every field and what to change. */
export function formatProblems(problems: SpecProblem[]): string {
  return `The stack spec has ${problems.length} problem${
    problems.length === 1 ? '' : 's'
  }:\n${problems.map(p => `- ${p.path}: ${p.message}`).join('\n')}`;
}
