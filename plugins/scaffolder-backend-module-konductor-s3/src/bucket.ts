import { z } from 'zod/v3';
import type { ComplianceCheck } from '@konductor/plugin-compliance-common';
import { cents, defineKind } from '@konductor/plugin-provisioning-common';

/** S3 Standard storage, per GB-month (us-east-1 list price), for the plan's estimate. */
const STANDARD_GB_MONTH = 0.023;

/** What a template author writes for a bucket (`resources.<name>: { kind: bucket }`). */
export const bucketSchema = z
  .object({
    versioning: z
      .boolean()
      .default(true)
      .describe(
        'Keep every version of every object (recover overwrites and deletes).',
      ),
    encryption: z
      .enum(['sse-s3', 'sse-kms'])
      .default('sse-s3')
      .describe(
        "Encryption at rest: S3-managed keys (sse-s3) or the account's AWS-managed KMS key for S3 (sse-kms).",
      ),
    expireAfterDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .optional()
      .describe(
        'Delete objects this many days after they are written; omit to keep them.',
      ),
    noncurrentVersionsDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .default(90)
      .describe(
        'With versioning: delete a replaced version this many days after it was replaced.',
      ),
    expectedGb: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(10)
      .describe('Expected stored data, in GB, for the cost estimate only.'),
  })
  .strict();

/**
 * An S3 bucket (`<stack>-<name>`): every public access setting blocked (Konductor never makes a
 * bucket public), encrypted at rest, versioned and expired by lifecycle rules as asked.
 */
export const bucket = defineKind({
  kind: 'bucket',
  title: 'an S3 bucket',
  schema: bucketSchema,
  outputs: z.object({
    bucketName: z.string(),
    arn: z.string(),
    region: z.string(),
  }),
  validate({ spec }, problem) {
    if (!spec.versioning && spec.noncurrentVersionsDays !== 90)
      problem(
        'noncurrentVersionsDays',
        'only versioned buckets keep replaced versions: set versioning: true or remove noncurrentVersionsDays',
      );
  },
  plan: b => ({
    summary: `${b.encryption === 'sse-kms' ? 'KMS' : 'S3'}-encrypted${
      b.versioning ? ', versioned' : ''
    }, public access blocked${
      b.expireAfterDays
        ? `, objects expire after ${b.expireAfterDays} days`
        : ''
    }`,
    creates: ['S3 bucket'],
    monthlyCost: cents(b.expectedGb * STANDARD_GB_MONTH),
  }),
  typicalCreateSeconds: 5,
  catalogType: 'aws-s3-bucket',
  // Every setting is a bucket configuration S3 replaces at once, objects untouched: a run of the
  // stack applies them all again. Versioning off suspends it (S3 keeps the versions it has);
  // another encryption applies to objects written from then on.
  changes: {
    versioning: { inPlace: true },
    encryption: { inPlace: true },
    expireAfterDays: { inPlace: true },
    noncurrentVersionsDays: { inPlace: true },
    expectedGb: { inPlace: true },
  },
  plannedFacts: b => ({
    's3.encryption': { value: b.encryption, field: 'encryption' },
    's3.versioning': { value: b.versioning, field: 'versioning' },
    // Konductor blocks every public access setting of every bucket.
    's3.publicAccessBlocked': { value: true, field: '' },
  }),
});

const BUCKET = { kinds: ['Resource'], types: ['aws-s3-bucket'] };

/** The compliance checks of buckets, mapped to NIST SP 800-53 rev 5 controls. */
export const BUCKET_CHECKS: ComplianceCheck[] = [
  {
    id: 's3-public-access-blocked',
    title: 'Bucket not public',
    controls: ['AC-3', 'SC-7'],
    appliesTo: BUCKET,
    facts: ['s3.publicAccessBlocked'],
    remediation: 'Block every public access setting of the bucket.',
    evaluate: v =>
      v['s3.publicAccessBlocked'] === true
        ? { status: 'pass', message: 'Every public access setting is blocked.' }
        : { status: 'fail', message: 'Some public access is not blocked.' },
  },
  {
    id: 's3-encryption-at-rest',
    title: 'Bucket encrypted at rest',
    controls: ['SC-28'],
    appliesTo: BUCKET,
    facts: ['s3.encryption'],
    remediation:
      'Set encryption to sse-kms at the high level (sse-s3 or sse-kms below).',
    evaluate: (v, ctx) => {
      const encryption = v['s3.encryption'];
      if (!encryption)
        return { status: 'fail', message: 'No default encryption.' };
      return ctx.level === 'high' && encryption !== 'sse-kms'
        ? {
            status: 'fail',
            message: `Encrypted with ${encryption}; high requires KMS keys (sse-kms).`,
          }
        : { status: 'pass', message: `Encrypted with ${encryption}.` };
    },
  },
  {
    id: 's3-versioning',
    title: 'Bucket versioned',
    controls: ['CP-9'],
    appliesTo: BUCKET,
    facts: ['s3.versioning'],
    remediation:
      'Set versioning: true, so overwritten and deleted objects can be recovered.',
    evaluate: (v, ctx) => {
      if (v['s3.versioning'] === true)
        return { status: 'pass', message: 'Versioning is enabled.' };
      return ctx.level === 'low'
        ? {
            status: 'not-applicable',
            message: 'Low does not require versioning.',
          }
        : {
            status: 'fail',
            message: `Versioning is off; ${ctx.level} requires it.`,
          };
    },
  },
];
