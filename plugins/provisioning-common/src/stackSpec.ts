import { z } from 'zod/v3';
import type { StackResource } from './kinds/definition';
import { expiryDateSchema } from './expiry';

/** Environments a stack can be provisioned into. */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
/** Compliance levels, after the FISMA baselines. */
export const COMPLIANCE_LEVELS = ['low', 'moderate', 'high'] as const;
/**
 * Where a stack goes: a cloud provider, and the account and region in it (an AWS account; a GCP
 * project or an Azure subscription for providers of those clouds), which with the stack id key the
 * stack's ownership. Each provider checks its own formats ({@link awsTargetSchema}); a provider
 * may take further fields.
 */
export const stackTargetSchema = z
  .object({
    provider: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,30}$/,
        'must be the id of a cloud provider, such as aws',
      )
      .describe('The cloud provider, such as aws.'),
    accountId: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/,
        'must be an account id, such as a 12-digit AWS account id',
      )
      .describe(
        'The account the stack goes in, such as a 12-digit AWS account id.',
      ),
    region: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, 'must be a region such as us-east-1')
      .describe('The region the stack goes in, such as us-east-1.'),
  })
  .passthrough();
/** Where a stack goes (see {@link stackTargetSchema}). */
export type StackTarget = z.output<typeof stackTargetSchema>;

/** The AWS provider's target: a 12-digit account id and an AWS region. */
export const awsTargetSchema = z
  .object({
    provider: z.literal('aws'),
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
    target: stackTargetSchema
      .optional()
      .describe(
        'Where the stack goes: a registered cloud provider (aws) and the account and region in it, such as { provider: aws, accountId: "123456789012", region: us-east-1 }.',
      ),
    aws: z
      .object({ accountId: z.string(), region: z.string() })
      .strict()
      .optional()
      .describe(
        'Deprecated, read as target: { provider: aws, accountId, region }; write target instead.',
      ),
    complianceLevel: z
      .enum(COMPLIANCE_LEVELS)
      .default('moderate')
      .describe(
        'The FISMA baseline the stack must meet: low, moderate (the default) or high.',
      ),
    expiresAt: expiryDateSchema
      .or(z.literal(''))
      .optional()
      .describe(
        "When a new dev or staging stack is destroyed on its own: an ISO 8601 date-time within the platform's maximum (empty: the platform's default, if any). Prod stacks never expire. A stack that exists keeps its expiry: Extend moves it.",
      ),
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
      .record(z.object({ kind: z.string().optional() }).passthrough())
      .describe(
        'The resources to create, by name. A resource named after a kind (network, database, secrets, cluster, app, or a kind a module registers) is of that kind; any other name says its kind: `orders-db: { kind: database, ... }`.',
      ),
  })
  .strict();

/** A stack spec as written by a template author (defaults not yet applied). */
export type StackSpecInput = z.input<typeof stackSpecSchema>;
/**
 * A validated stack spec with every default applied: each resource names its kind and holds its
 * kind's fields.
 */
export type StackSpec = Omit<
  z.output<typeof stackSpecSchema>,
  'resources' | 'target' | 'aws'
> & {
  target: StackTarget;
  resources: Record<string, StackResource>;
};
