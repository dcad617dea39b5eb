import { z } from 'zod/v3';
import type { ENVIRONMENTS } from './stackSpec';

/**
 * A stack's expiry: dev and staging stacks may carry a date at which the platform destroys them
 * (as *Destroy* does); prod stacks never expire. The owners are told a day and an hour before.
 */

/** The platform's expiry settings (`konductor.provisioning.expiry`). */
export interface ExpiryPolicy {
  /** Days after creation at which a dev or staging stack expires when its form gives no date; none when unset. */
  defaultDays?: number;
  /** The latest expiry a stack may be given, in days from now (default 30). */
  maxDays: number;
}

/** How long before its expiry the owners of a stack are told, longest first: a day, an hour. */
export const EXPIRY_NOTICES = [
  { id: 'day', beforeMs: 24 * 3600_000, words: 'a day' },
  { id: 'hour', beforeMs: 3600_000, words: 'an hour' },
] as const;
/** A notice of {@link EXPIRY_NOTICES}, or `destroying` once the destroy run has started. */
export type ExpiryNotice = (typeof EXPIRY_NOTICES)[number]['id'] | 'destroying';

/** An expiry date: an ISO 8601 date-time with its offset, such as `2026-12-24T18:00:00Z`. */
export const expiryDateSchema = z
  .string()
  .datetime({ offset: true })
  .describe(
    'When the stack is destroyed on its own (dev and staging only): an ISO 8601 date-time such as 2026-12-24T18:00:00Z.',
  );

/** Body of `PUT /stacks/:accountId/:region/:stackId/expiry`: *Extend* (or shorten) the stack's life. */
export const stackExpiryRequestSchema = z
  .object({ expiresAt: expiryDateSchema })
  .strict();
/** What {@link stackExpiryRequestSchema} accepts. */
export type StackExpiryRequest = z.input<typeof stackExpiryRequestSchema>;

/**
 * Why `expiresAt` may not be the expiry of a stack in `environment`, in words that say what to
 * change; undefined when it may.
 */
export function expiryRefusal(
  environment: (typeof ENVIRONMENTS)[number],
  expiresAt: string | Date,
  policy: Pick<ExpiryPolicy, 'maxDays'>,
  now = new Date(),
): string | undefined {
  if (environment === 'prod')
    return 'Prod stacks never expire: leave the expiry empty';
  const at = new Date(expiresAt).getTime();
  if (Number.isNaN(at))
    return `The expiry ${String(
      expiresAt,
    )} is not a date: give an ISO 8601 date-time such as 2026-12-24T18:00:00Z`;
  if (at <= now.getTime())
    return `The expiry ${new Date(
      at,
    ).toISOString()} has passed: choose a date in the future`;
  const latest = now.getTime() + policy.maxDays * 24 * 3600_000;
  if (at > latest)
    return `The expiry ${new Date(at).toISOString()} is more than ${
      policy.maxDays
    } days away (the platform's maximum): choose a date before ${new Date(
      latest,
    ).toISOString()}`;
  return undefined;
}

/** The expiry a new stack gets: the one asked for, else the platform's default (never for prod). */
export function initialExpiry(
  environment: (typeof ENVIRONMENTS)[number],
  requested: string | undefined,
  policy: Pick<ExpiryPolicy, 'defaultDays'>,
  now = new Date(),
): string | undefined {
  if (requested) return new Date(requested).toISOString();
  if (environment === 'prod' || policy.defaultDays === undefined)
    return undefined;
  return new Date(
    now.getTime() + policy.defaultDays * 24 * 3600_000,
  ).toISOString();
}
