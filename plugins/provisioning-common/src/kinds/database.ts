import { z } from 'zod/v3';
import { PRICES } from '../prices';
import { cents, defineKind } from './definition';

/**
 * The database's secret values an app can receive (`secretEnv: { DATABASE_URL: "<name>.url" }`):
 * the master password RDS keeps in Secrets Manager, with the connection settings around it.
 */
export const DATABASE_SECRET_KEYS = [
  'password',
  'username',
  'host',
  'port',
  'url',
] as const;

/** PostgreSQL versions Konductor's AWS provider offers. */
export const POSTGRES_VERSIONS = ['13.20', '14.17', '15.12', '16.8', '17.4'];

/** What a template author writes for a database (`resources.database`, or any name with `kind: database`). */
export const databaseSchema = z
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
    passwordRotationDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe(
        'RDS keeps the master password in Secrets Manager and rotates it every N days (1 to 365; RDS rotates every 7 unless told otherwise).',
      ),
  })
  .strict();

/** An RDS PostgreSQL instance in the stack's private subnets. */
export const database = defineKind({
  kind: 'database',
  title: 'a PostgreSQL database',
  schema: databaseSchema,
  outputs: z.object({
    endpoint: z.string(),
    port: z.number(),
    instanceId: z.string(),
    arn: z.string(),
    username: z.string(),
    databaseName: z.string(),
    /** The secret in which RDS keeps and rotates the master password. */
    masterUserSecretArn: z.string(),
  }),
  secrets: DATABASE_SECRET_KEYS,
  requires: ['network'],
  validate({ spec: d }, problem) {
    if (!POSTGRES_VERSIONS.includes(d.engineVersion)) {
      problem(
        'engineVersion',
        `PostgreSQL ${
          d.engineVersion
        } is not offered: choose one of ${POSTGRES_VERSIONS.join(', ')}`,
      );
    }
    if (!(d.instanceClass in PRICES.rdsInstanceHourly)) {
      problem(
        'instanceClass',
        `unknown instance class ${d.instanceClass}: choose one of ${Object.keys(
          PRICES.rdsInstanceHourly,
        ).join(', ')}`,
      );
    }
  },
  plan: d => ({
    summary: `PostgreSQL ${d.engineVersion} on ${d.instanceClass}, ${
      d.storageGb
    } GB${d.encrypted ? ' encrypted' : ''}, ${
      d.backupRetentionDays
    }-day backups${d.multiAz ? ', multi-AZ' : ''}, password rotated every ${
      d.passwordRotationDays
    } days`,
    creates: [
      'security group',
      'DB subnet group',
      'RDS instance',
      'master password secret (RDS-managed)',
    ],
    monthlyCost: cents(
      (d.multiAz ? 2 : 1) *
        ((PRICES.rdsInstanceHourly[d.instanceClass] ?? 0) *
          PRICES.hoursPerMonth +
          d.storageGb * PRICES.rdsStorageGbMonthly) +
        PRICES.secretMonthly,
    ),
  }),
  typicalCreateSeconds: 480,
  catalogType: 'aws-rds-postgres',
  // As RDS's ModifyDBInstance applies each setting (the RDS user guide's "Settings for DB
  // instances"): a class or engine change restarts the instance, and so does turning backups on
  // or off.
  changes: {
    instanceClass: { inPlace: true, interrupts: true },
    storageGb: {
      inPlace: true,
      refuses: (before, after) =>
        after < before ? 'RDS can only grow storage' : undefined,
    },
    multiAz: { inPlace: true },
    backupRetentionDays: {
      inPlace: true,
      interrupts: (before, after) => (before === 0) !== (after === 0),
    },
    deletionProtection: { inPlace: true },
    maintenanceWindow: { inPlace: true },
    passwordRotationDays: { inPlace: true },
    engineVersion: {
      inPlace: true,
      interrupts: true,
      refuses: (before, after) => {
        const [b, a] = [before, after].map(v => v.split('.').map(Number));
        if (a[0] !== b[0])
          return 'Konductor upgrades minor versions in place, not major ones';
        return a[1] < b[1] ? 'RDS does not downgrade an engine' : undefined;
      },
    },
    encrypted: {
      inPlace: false,
      why: 'encryption is chosen when an instance is created',
    },
  },
  plannedFacts: d => ({
    'rds.storageEncrypted': {
      value: d.encrypted,
      field: 'encrypted',
    },
    'rds.backupRetentionDays': {
      value: d.backupRetentionDays,
      field: 'backupRetentionDays',
    },
    'rds.multiAz': { value: d.multiAz, field: 'multiAz' },
    // Konductor never makes a database public.
    'rds.publiclyAccessible': { value: false, field: '' },
    'rds.deletionProtection': {
      value: d.deletionProtection,
      field: 'deletionProtection',
    },
    'secrets.rotationDays': {
      value: d.passwordRotationDays,
      field: 'passwordRotationDays',
    },
  }),
});
