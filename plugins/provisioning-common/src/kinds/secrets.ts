import { z } from 'zod/v3';
import { PRICES } from '../prices';
import { cents, defineKind } from './definition';

/** The values of the database's secret an app can receive as environment variables. */
export const DATABASE_SECRET_KEYS = [
  'password',
  'username',
  'host',
  'port',
  'url',
];

/** What a template author writes for the secrets (`resources.secrets`). */
export const secretsSchema = z
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

/** Secrets Manager secrets: the database's credentials and generated values. */
export const secrets = defineKind({
  kind: 'secrets',
  title: 'Secrets Manager secrets',
  onePerStack: true,
  schema: secretsSchema,
  outputs: z.object({
    databaseSecretArn: z.string().optional(),
    secretArns: z.array(z.string()),
  }),
  dependsOn: ({ spec, named }) =>
    spec.databaseCredentials ? named('database') : [],
  validate({ spec: s, named }, problem) {
    const databases = named('database');
    if (s.databaseCredentials && databases.length !== 1) {
      problem(
        'databaseCredentials',
        databases.length
          ? `the database credentials secret holds one database's; the stack has ${
              databases.length
            } (${databases.join(
              ', ',
            )}): set databaseCredentials: false or keep one database`
          : 'there is no database to store credentials for: add resources.database or set databaseCredentials to false',
      );
    }
    if (new Set(s.generated).size !== s.generated.length) {
      problem('generated', 'each generated secret name must appear once');
    }
  },
  plan: s => {
    const count = (s.databaseCredentials ? 1 : 0) + s.generated.length;
    return {
      summary: `${count} secret${count === 1 ? '' : 's'}${
        s.rotationDays ? `, rotated every ${s.rotationDays} days` : ''
      }`,
      creates: [`${count} Secrets Manager secrets`],
      monthlyCost: cents(count * PRICES.secretMonthly),
    };
  },
  typicalCreateSeconds: 10,
  catalogType: 'aws-secret',
  plannedFacts: s => ({
    'secrets.rotationDays': {
      value: s.rotationDays,
      field: 'rotationDays',
    },
  }),
});
