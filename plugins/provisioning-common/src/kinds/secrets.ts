import { z } from 'zod/v3';
import { PRICES } from '../prices';
import { cents, defineKind } from './definition';

/** What a template author writes for the secrets (`resources.secrets`). */
export const secretsSchema = z
  .object({
    databaseCredentials: z
      .boolean()
      .optional()
      .describe(
        'Deprecated and ignored: each database keeps its own credentials in the secret RDS manages; an app receives them as <database>.password, .username, .host, .port or .url.',
      ),
    generated: z
      .array(
        z
          .string()
          .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE_CASE name'),
      )
      .default([])
      .describe('Names of random secrets to generate, such as SESSION_KEY.'),
    rotationDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .describe(
        "Rotate the generated secrets every N days with the platform's rotation function (konductor.aws.rotationFunctionName); omit to turn rotation off. A database's password rotates with its passwordRotationDays.",
      ),
  })
  .strict();

/** Secrets Manager secrets: generated random values an app receives by name. */
export const secrets = defineKind({
  kind: 'secrets',
  title: 'Secrets Manager secrets',
  onePerStack: true,
  schema: secretsSchema,
  outputs: z.object({
    secretArns: z.array(z.string()),
  }),
  validate({ spec: s, named }, problem) {
    if (!s.generated.length) {
      const databases = named('database');
      problem(
        'generated',
        `the secrets resource holds no secret: list names to generate, or remove it${
          databases.length
            ? `; database credentials live with each database (${databases
                .map(d => `${d}.password`)
                .join(', ')} and the like)`
            : ''
        }`,
      );
    } else if (new Set(s.generated).size !== s.generated.length)
      problem('generated', 'each generated secret name must appear once');
  },
  plan: s => {
    const count = s.generated.length;
    return {
      summary: `${count} generated secret${count === 1 ? '' : 's'}${
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
