import { z } from 'zod/v3';
import { COMPLIANCE_LEVELS, ENVIRONMENTS } from './stackSpec';
import { RESOURCE_NAME } from './kinds/vocabulary';

const resourceName = z.string().regex(RESOURCE_NAME).max(63);
import { stackClaimRequestSchema } from './stacks';

/** Status of a provisioning run. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * The id of the run of stack `stackId` in scaffolder task `taskId`. It is derived, not drawn, so
 * the action can link to the run page before the run is registered, and a retried task continues
 * the same run.
 */
export function runIdFor(taskId: string, stackId: string): string {
  return `${taskId}_${stackId}`;
}

/**
 * The events-service topic on which the provisioning backend announces that a run ended, with
 * payload {@link RunFinishedEvent}.
 */
export const RUN_FINISHED_TOPIC = 'konductor.provisioning.run-finished';

/** Payload of {@link RUN_FINISHED_TOPIC}. */
export interface RunFinishedEvent {
  runId: string;
  stackId: string;
  status: RunStatus;
}

/** A run as the provisioning backend returns it. */
export interface ProvisioningRun {
  id: string;
  taskId: string;
  stackId: string;
  stackName: string;
  environment: string;
  /** The AWS account and region of the stack (runs recorded before ownership have none). */
  accountId?: string;
  region?: string;
  /** The stack's permission resource ref, `<accountId>/<region>/<stackId>`, when known. */
  stackRef?: string;
  templateRef?: string;
  entityRef?: string;
  owner?: string;
  /** The compliance level the stack was checked against. */
  complianceLevel?: string;
  createdBy?: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The highest event sequence number stored: the cursor to continue from. */
  lastSeq: number;
}

/** One resource of a run's graph, as its events left it. */
export interface RunResource {
  /** The resource's name in its stack. */
  resource: string;
  kind: string;
  /** The catalog `Resource` type it becomes (unset in runs recorded before kinds were named). */
  catalogType?: string;
  /** Its kind's typical creation time in seconds, when recorded. */
  typicalCreateSeconds?: number;
  status: string;
  dependsOn: string[];
  outputs?: Record<string, unknown>;
  error?: string;
  detail?: string;
  updatedAt: string;
}

/** Answer of `GET /runs/:id`. */
export interface RunDetails {
  run: ProvisioningRun;
  resources: RunResource[];
  /**
   * True when the caller may see the run but not the stack's outputs
   * (`provisioning.stack.outputs.read`): outputs are left out of resources and events.
   */
  outputsHidden?: boolean;
}

/** Body of `POST /runs`: registers a run (idempotent per task and stack). */
export const createRunRequestSchema = z
  .object({
    taskId: z.string().min(1),
    stackId: z.string().min(1),
    stackName: z.string().min(1),
    environment: z.enum(ENVIRONMENTS),
    accountId: stackClaimRequestSchema.shape.accountId,
    region: stackClaimRequestSchema.shape.region,
    templateRef: z.string().optional(),
    entityRef: z.string().optional(),
    owner: z.string().optional(),
    complianceLevel: z.enum(COMPLIANCE_LEVELS).optional(),
    createdBy: z.string().optional(),
    /**
     * The desired state a provisioning run makes real (absent for destroys): when the run
     * succeeds it becomes the stack's next version, if it differs from the last.
     */
    spec: z.record(z.unknown()).optional(),
    /** The monthly cost estimate of `spec` (USD): the stack's cost in the inventory once it is made real. */
    monthlyCost: z.number().min(0).optional(),
    /** The resources and what each depends on, so the graph is known before the first event. */
    resources: z
      .array(
        z.object({
          /** The resource's name in the stack. */
          resource: resourceName,
          dependsOn: z.array(resourceName),
          /** Its kind; absent in runs recorded before stacks named their resources. */
          kind: z.string().min(1).optional(),
          /** Its kind's typical creation time in seconds (the run page's estimate). */
          typicalCreateSeconds: z.number().min(0).optional(),
          /** The catalog `Resource` type it becomes. */
          catalogType: z.string().min(1).optional(),
        }),
      )
      .default([]),
  })
  .strict();
export type CreateRunRequest = z.input<typeof createRunRequestSchema>;

const eventSchema = z
  .object({
    seq: z.number().int().min(1),
    at: z.string().datetime(),
    resource: resourceName.optional(),
    status: z.enum([
      'queued',
      'creating',
      'waiting',
      'ready',
      'failed',
      'rolling-back',
      'deleting',
      'deleted',
      'retained',
      'skipped',
      'run-started',
      'run-succeeded',
      'run-failed',
      'run-cancelled',
    ]),
    message: z.string(),
    elapsedMs: z.number().optional(),
    detail: z.string().optional(),
    outputs: z.record(z.unknown()).optional(),
    error: z.string().optional(),
  })
  .strict();

/** Body of `POST /runs/:id/events`: events in order, numbered from the run's cursor on. */
export const eventBatchSchema = z
  .object({ events: z.array(eventSchema).min(1).max(500) })
  .strict();
export type EventBatch = z.input<typeof eventBatchSchema>;
