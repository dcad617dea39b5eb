import type { BudgetStanding } from './budgets';
import { z } from 'zod/v3';
import { ENVIRONMENTS, stackTargetSchema } from './stackSpec';
import { expiryDateSchema } from './expiry';

/**
 * `<name>-<environment>`: a stack's id within its account and region, and the prefix of every
 * cloud resource name it has.
 */
export function stackIdFor(name: string, environment: string): string {
  return `${name}-${environment}`;
}

/** Where a stack lives and what it is called there: the unit of ownership. */
export interface StackKey {
  accountId: string;
  region: string;
  stackId: string;
}

/**
 * The stack's reference, `<accountId>/<region>/<stackId>`: the resource ref of the
 * `provisioning-stack` permission resource type.
 */
export function stackRefOf(key: StackKey): string {
  return `${key.accountId}/${key.region}/${key.stackId}`;
}

/** The key of a stack reference, or undefined when `ref` is not one. */
export function parseStackRef(ref: string): StackKey | undefined {
  const m =
    /^([A-Za-z0-9][A-Za-z0-9-]*)\/([a-z][a-z0-9-]+)\/([a-z][a-z0-9-]*)$/.exec(
      ref,
    );
  return m ? { accountId: m[1], region: m[2], stackId: m[3] } : undefined;
}

/**
 * A stack as the provisioning backend records it: the group (or user) that owns it, since the
 * first run that claimed it. Unique per account, region and stack id.
 */
export interface ProvisioningStack extends StackKey {
  /** {@link stackRefOf} of the stack. */
  ref: string;
  name: string;
  environment: (typeof ENVIRONMENTS)[number];
  /** The owner's entity ref, such as `group:default/team-a`. */
  owner: string;
  /** The user who claimed it. */
  createdBy?: string;
  createdAt: string;
  /** When the platform destroys the stack (dev and staging only); none when it does not expire. */
  expiresAt?: string;
  /** The scaffolder task of the destroy run its expiry started, once it has. */
  expiryTaskId?: string;
}

const ENTITY_REF = /^(group|user):([a-z0-9-_.]+\/)?[A-Za-z0-9-_.]+$/;

/**
 * Body of `POST /stacks/claims`: claims a stack for an owner before anything is created. A stack
 * nobody has claims for the owner; a stack of the same owner is claimed again (a change); a
 * stack of another owner is refused.
 */
export const stackClaimRequestSchema = z
  .object({
    accountId: stackTargetSchema.shape.accountId,
    region: stackTargetSchema.shape.region,
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,39}$/,
        'must be lower-case letters, digits and dashes, starting with a letter (at most 40)',
      ),
    environment: z.enum(ENVIRONMENTS),
    owner: z
      .string()
      .regex(
        ENTITY_REF,
        'must be a group or user entity ref such as group:default/team-a',
      ),
    /** A new stack's expiry; a stack that exists keeps its own (*Extend* moves it). */
    expiresAt: expiryDateSchema.optional(),
    /** The planned monthly cost in USD, checked against the owner's budget. */
    monthlyCost: z.coerce
      .number()
      .min(0, 'must be a number of US dollars, 0 or more')
      .optional(),
  })
  .strict();
/** What {@link stackClaimRequestSchema} accepts. */
export type StackClaimRequest = z.input<typeof stackClaimRequestSchema>;

/** Query of `GET /stacks/availability`: may `owner` provision a stack of this name here? */
export const stackAvailabilityQuerySchema = stackClaimRequestSchema
  .omit({ expiresAt: true })
  .partial({ owner: true })
  .strict();

/** Answer of `GET /stacks/availability`. */
export interface StackAvailability {
  stackId: string;
  /** Whether a request for this owner would be accepted (a new stack, or one the owner has). */
  available: boolean;
  /** The owner of the existing stack, when there is one and the caller may see it. */
  owner?: string;
  /** Why it is not available, in words that say what to change. */
  reason?: string;
  /** The request in its owner's budget, when the query names the owner and the cost. */
  budget?: BudgetStanding;
  /**
   * When the platform's rules say the run waits for approval: why, and who may approve. A
   * request over budget that a rule sends to approval is not refused.
   */
  approval?: { reasons: string[]; approvers: string[] };
}

/**
 * The refusal of a stack that another owner has, naming the owner (unless the caller may not see
 * it) and what to change. `name` gives the groups' names (their refs without it).
 */
export function stackTakenMessage(
  stack: Pick<ProvisioningStack, 'stackId' | 'accountId' | 'region'> & {
    owner?: string;
  },
  requestedOwner?: string,
  name: (ref: string) => string = ref => ref,
): string {
  const where = `Stack ${stack.stackId} in account ${stack.accountId} (${stack.region})`;
  if (!stack.owner)
    return `${where} belongs to another group: choose another name`;
  return `${where} belongs to ${name(stack.owner)}${
    requestedOwner ? `, not ${name(requestedOwner)}` : ''
  }: choose another name, or ask ${name(stack.owner)} to change it`;
}

/** Who is working on a stack: the run holding its lease, and until when. */
export interface StackLease {
  holder: string;
  expiresAt: string;
}

/** Body of `POST /stacks/:accountId/:region/:stackId/lease`: take or renew the stack's lease. */
export const stackLeaseRequestSchema = z
  .object({
    /** The run taking the lease; the same run (a resumed or retried task) renews it. */
    holder: z.string().min(1),
    /** How long the lease lasts unless renewed, 10 seconds to 10 minutes. */
    ttlSeconds: z.number().int().min(10).max(600),
  })
  .strict();
/** What {@link stackLeaseRequestSchema} accepts. */
export type StackLeaseRequest = z.input<typeof stackLeaseRequestSchema>;

/** The refusal of a second run of a stack while another one holds it. */
export function stackBusyMessage(stackId: string, lease: StackLease): string {
  return `Stack ${stackId} is being worked on by run ${lease.holder} (its lease runs until ${lease.expiresAt}): wait for that run to end, then try again`;
}

/**
 * How a stack's app is delivered through the platform's Argo CD, as Argo CD reports it (`GET
 * /stacks/{account}/{region}/{stack}/delivery`).
 */
export interface StackDelivery {
  /** The Argo CD Application, named after the stack. */
  application: string;
  /** Whether the cluster holds what git holds, and the commit Argo CD compared it with. */
  sync: { status: string; revision?: string };
  health: { status: string; message?: string };
  /** The last sync: its phase (Succeeded, Failed, Running...), message and end. */
  operation?: { phase: string; message?: string; finishedAt?: string };
  /** The revisions delivered, newest first. */
  history: { revision: string; deployedAt?: string }[];
  /** The objects Argo CD manages, with their sync status and health. */
  resources: {
    kind: string;
    name: string;
    namespace?: string;
    status?: string;
    health?: string;
    message?: string;
  }[];
}
