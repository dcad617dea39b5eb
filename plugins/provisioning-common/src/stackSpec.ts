import { z } from 'zod/v3';
import { newestEksVersion } from './kubernetesReleases';

/** Environments a stack can be provisioned into. */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
/** Compliance levels, after the FISMA baselines. */
export const COMPLIANCE_LEVELS = ['low', 'moderate', 'high'] as const;
/** The resource kinds of a stack, in the order a template author reads them. */
export const RESOURCE_KINDS = [
  'network',
  'database',
  'secrets',
  'cluster',
  'app',
] as const;
/** A resource kind; in a stack spec the kind is also the resource's id. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * A reference to another resource's output: `${database.endpoint}`. References can stand in any
 * string value of the app's environment and make the referencing resource depend on the other.
 */
export const OUTPUT_REFERENCE = /\$\{\s*([a-z]+)\.([A-Za-z][A-Za-z0-9]*)\s*\}/g;

const networkSchema = z
  .object({
    cidr: z
      .string()
      .describe(
        'IPv4 range of the VPC, for example 10.0.0.0/16 (a /16 to /28).',
      ),
    availabilityZones: z
      .number()
      .int()
      .min(2)
      .max(3)
      .default(2)
      .describe('How many availability zones get a private subnet (2 or 3).'),
    natGateways: z
      .number()
      .int()
      .min(0)
      .max(3)
      .default(0)
      .describe(
        'NAT gateways for outbound internet access; 0 keeps the network private.',
      ),
  })
  .strict();

const databaseSchema = z
  .object({
    engineVersion: z
      .string()
      .default('16.8')
      .describe('PostgreSQL version, for example 16.8.'),
    instanceClass: z
      .string()
      .default('db.t4g.micro')
      .describe('RDS instance class, for example db.t4g.micro.'),
    storageGb: z
      .number()
      .int()
      .min(20)
      .max(65536)
      .default(20)
      .describe('Allocated storage in GB (20 to 65536).'),
    backupRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(35)
      .default(7)
      .describe('Days of automated backups (0 to 35).'),
    multiAz: z
      .boolean()
      .default(false)
      .describe('A standby in a second availability zone.'),
    encrypted: z.boolean().default(true).describe('Encryption at rest.'),
    deletionProtection: z
      .boolean()
      .default(false)
      .describe('Refuse deletion until turned off.'),
    maintenanceWindow: z
      .string()
      .regex(
        /^(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d$/,
        'must look like sun:05:00-sun:06:00',
      )
      .default('sun:05:00-sun:06:00')
      .describe('Weekly maintenance window in UTC, ddd:hh:mm-ddd:hh:mm.'),
  })
  .strict();

const secretsSchema = z
  .object({
    databaseCredentials: z
      .boolean()
      .default(true)
      .describe(
        "Store the database's connection settings and password as one secret.",
      ),
    generated: z
      .array(
        z
          .string()
          .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE_CASE name'),
      )
      .default([])
      .describe(
        'Names of extra random secrets to generate, such as SESSION_KEY.',
      ),
    rotationDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .describe('Rotate every N days; omit to turn rotation off.'),
  })
  .strict();

const clusterSchema = z
  .object({
    kubernetesVersion: z
      .string()
      .default(() => newestEksVersion(new Date()))
      .describe(
        'Kubernetes version, such as 1.34; by default the newest in standard support on the day.',
      ),
    nodeInstanceType: z
      .string()
      .default('t3.medium')
      .describe('EC2 instance type of the nodes.'),
    minNodes: z.number().int().min(0).max(100).default(1),
    desiredNodes: z.number().int().min(0).max(100).default(2),
    maxNodes: z.number().int().min(1).max(100).default(3),
    publicEndpoint: z
      .boolean()
      .default(false)
      .describe('Expose the Kubernetes API endpoint to the internet.'),
    logging: z
      .array(
        z.enum([
          'api',
          'audit',
          'authenticator',
          'controllerManager',
          'scheduler',
        ]),
      )
      .default(['api', 'audit', 'authenticator'])
      .describe('Control plane log types to send to CloudWatch.'),
    encryptSecrets: z
      .boolean()
      .default(true)
      .describe('Envelope-encrypt Kubernetes secrets with KMS.'),
  })
  .strict();

const appSchema = z
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

/** The stack specification: what `konductor:stack:provision` creates. */
export const stackSpecSchema = z
  .object({
    name: z
      .string()
      .describe(
        'Stack name: lower-case letters, digits and dashes; it names every cloud resource.',
      ),
    environment: z.enum(ENVIRONMENTS).describe('dev, staging or prod.'),
    owner: z
      .string()
      .regex(
        /^(group|user):([a-z0-9-_.]+\/)?[A-Za-z0-9-_.]+$/,
        'must be a group or user entity ref such as group:default/payments',
      )
      .optional()
      .describe(
        'The group (or user) that owns the stack, required to provision it: only its members (and platform admins) may change, destroy or read the outputs of the stack, and it is notified when a run fails.',
      ),
    aws: z
      .object({
        accountId: z
          .string()
          .regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
        region: z
          .string()
          .regex(
            /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
            'must be an AWS region such as us-east-1',
          ),
      })
      .strict(),
    complianceLevel: z.enum(COMPLIANCE_LEVELS).default('moderate'),
    onFailure: z
      .enum(['rollback', 'retain'])
      .default('rollback')
      .describe(
        'On a permanent failure, delete what this run created (rollback) or keep it for debugging (retain).',
      ),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(180)
      .default(45)
      .describe('Longest wait for any one resource.'),
    resources: z
      .object({
        network: networkSchema.optional(),
        database: databaseSchema.optional(),
        secrets: secretsSchema.optional(),
        cluster: clusterSchema.optional(),
        app: appSchema.optional(),
      })
      .strict(),
  })
  .strict();

/** A stack spec as written by a template author (defaults not yet applied). */
export type StackSpecInput = z.input<typeof stackSpecSchema>;
/** A validated stack spec with every default applied. */
export type StackSpec = z.output<typeof stackSpecSchema>;
export type NetworkSpec = z.output<typeof networkSchema>;
export type DatabaseSpec = z.output<typeof databaseSchema>;
export type SecretsSpec = z.output<typeof secretsSchema>;
export type ClusterSpec = z.output<typeof clusterSchema>;
export type AppSpec = z.output<typeof appSchema>;
