import { z } from 'zod/v3';
import { ENVIRONMENTS } from './stackSpec';
import type { ProvisioningStack } from './stacks';

/**
 * A stack's state in the inventory, from its last run and its last drift scan: `running` while a
 * run works on it, `failed` when its last run failed or was cancelled, `drifted` when the last
 * scan found the cloud different from its desired state, `healthy` otherwise.
 */
export const STACK_STATES = [
  'healthy',
  'running',
  'failed',
  'drifted',
] as const;
export type StackState = (typeof STACK_STATES)[number];

/** The columns the inventory sorts by. */
export const INVENTORY_SORTS = [
  'name',
  'owner',
  'environment',
  'template',
  'createdAt',
  'changedAt',
  'monthlyCost',
  'state',
] as const;

const cost = z.coerce
  .number()
  .min(0, 'must be a number of US dollars, 0 or more');

/** Query of `GET /stacks` (and of its CSV export): the inventory's filters, sort and page. */
export const stackInventoryQuerySchema = z
  .object({
    owner: z.string().min(1).optional(),
    environment: z.enum(ENVIRONMENTS).optional(),
    /** The template (or the service definition's generated template) its last run ran. */
    template: z.string().min(1).optional(),
    state: z.enum(STACK_STATES).optional(),
    /** Monthly cost estimate from, in USD, inclusive. */
    minCost: cost.optional(),
    /** Monthly cost estimate up to, in USD, inclusive. */
    maxCost: cost.optional(),
    /** Matched against the stack's name and id. */
    text: z.string().min(1).optional(),
    sort: z.enum(INVENTORY_SORTS).default('name'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.coerce.number().int().min(1).max(500).default(25),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict()
  .refine(
    q =>
      q.minCost === undefined ||
      q.maxCost === undefined ||
      q.minCost <= q.maxCost,
    {
      message: 'minCost must not be above maxCost',
      path: ['minCost'],
    },
  );
export type StackInventoryQuery = z.input<typeof stackInventoryQuerySchema>;

/** One row of the inventory. */
export interface StackInventoryItem extends ProvisioningStack {
  /** The template its last successful run ran. */
  templateRef?: string;
  /** The monthly cost estimate of its desired state (on-demand list prices, USD). */
  monthlyCost?: number;
  /** Who made its desired state's last change, and when. */
  changedBy?: string;
  changedAt?: string;
  state: StackState;
  /** Its last run, which decides `running` and `failed`. */
  lastRunId?: string;
}

/** A team's share of the stacks the query matched (every page of it). */
export interface StackInventoryTotal {
  owner: string;
  stacks: number;
  monthlyCost: number;
}

/** Answer of `GET /stacks`. */
export interface StackInventory {
  items: StackInventoryItem[];
  /** How many stacks match, on every page. */
  totalCount: number;
  /** The monthly cost of every stack that matches. */
  monthlyCost: number;
  /** Per owner, most expensive first. */
  totals: StackInventoryTotal[];
}
