import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  CreateRunRequest,
  ProvisioningClient,
  ProvisioningEvent,
} from '@konductor/plugin-provisioning-common';
import { sleep } from './waitFor';

/** The run a reporter is told about: what the runs backend registers it with. */
export interface ProvisioningRunInfo {
  /** The scaffolder task the run belongs to. */
  taskId: string;
  /** `<name>-<environment>`. */
  stackId: string;
  stackName: string;
  environment: 'dev' | 'staging' | 'prod';
  /** The stack's AWS account and region: with the stack id, whose the stack is. */
  accountId: string;
  region: string;
  /** The graph, so it can be drawn before the first event (names, kinds, typical times). */
  resources: NonNullable<CreateRunRequest['resources']>;
  /** The user who started the task, as an entity ref, when known. */
  startedBy?: string;
  /** The template the task runs. */
  templateRef?: string;
  /** The group (or user) that owns the stack. */
  owner?: string;
  /** The compliance level the stack was checked against. */
  complianceLevel?: 'low' | 'moderate' | 'high';
  /**
   * The desired state a provisioning run makes real (none for a destroy): the stack's next
   * version when the run succeeds.
   */
  spec?: Record<string, unknown>;
  /** The monthly cost estimate of `spec` (USD). */
  monthlyCost?: number;
}

/**
 * Receives a run's structured events as they happen. The stack actions always mirror events
 * into the task log; a reporter sends them further, for example to the provisioning runs backend.
 * `report` must not throw and must keep events in order (buffering and retrying as needed).
 */
export interface ProvisioningReporter {
  report(run: ProvisioningRunInfo, event: ProvisioningEvent): void;
  /** Resolves once every reported event has been delivered (or given up on). */
  flush(run: ProvisioningRunInfo): Promise<void>;
}

interface RunQueue {
  /** Events not yet confirmed stored, with their number within this reporter. */
  pending: { local: number; event: ProvisioningEvent }[];
  local: number;
  /** The run's id and its cursor when this reporter registered it: local numbers continue from it. */
  runId?: string;
  base: number;
  draining?: Promise<void>;
}

/**
 * Delivers events to the provisioning runs backend in order. It registers the run, numbers
 * events after the run's stored cursor (so a task resumed after a crash continues the log), sends
 * them in batches, and, while the backend is unavailable, keeps them and retries with backoff.
 * The server skips events it already has, so a batch whose answer was lost is simply sent again.
 * Answers that retrying cannot change (4xx other than 429) end delivery with one warning.
 */
export class BackendProvisioningReporter implements ProvisioningReporter {
  private readonly runs = new Map<string, RunQueue>();

  constructor(
    private readonly options: {
      client: ProvisioningClient;
      logger: LoggerService;
      /** Backoff between attempts, and how long to keep trying before giving up on a run's events. */
      retry?: {
        baseDelayMs: number;
        maxDelayMs: number;
        giveUpAfterMs: number;
      };
    },
  ) {}

  private queue(run: ProvisioningRunInfo): RunQueue {
    const key = `${run.taskId}/${run.stackId}`;
    let q = this.runs.get(key);
    if (!q) {
      q = { pending: [], local: 0, base: 0 };
      this.runs.set(key, q);
    }
    return q;
  }

  report(run: ProvisioningRunInfo, event: ProvisioningEvent): void {
    const q = this.queue(run);
    q.local += 1;
    q.pending.push({ local: q.local, event });
    q.draining ??= this.drain(run, q).finally(() => (q.draining = undefined));
  }

  async flush(run: ProvisioningRunInfo): Promise<void> {
    const q = this.queue(run);
    while (q.pending.length || q.draining) {
      await (q.draining ??= this.drain(run, q).finally(
        () => (q.draining = undefined),
      ));
    }
  }

  private async drain(run: ProvisioningRunInfo, q: RunQueue): Promise<void> {
    const { client, logger } = this.options;
    const retry = this.options.retry ?? {
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      giveUpAfterMs: 10 * 60_000,
    };
    let failingSince: number | undefined;
    let attempt = 0;
    while (q.pending.length) {
      // Events emitted in the same turn (a resource ready, the next one creating) go in one batch
      // rather than the second waiting for the first batch's answer.
      await new Promise(resolve => setImmediate(resolve));
      try {
        if (!q.runId) {
          const registered = await client.createRun({
            taskId: run.taskId,
            stackId: run.stackId,
            stackName: run.stackName,
            environment: run.environment,
            accountId: run.accountId,
            region: run.region,
            templateRef: run.templateRef,
            owner: run.owner,
            complianceLevel: run.complianceLevel,
            createdBy: run.startedBy,
            spec: run.spec,
            monthlyCost: run.monthlyCost,
            resources: run.resources,
          });
          q.runId = registered.id;
          q.base = registered.lastSeq;
        }
        const batch = q.pending
          .slice(0, 100)
          .map(p => ({ ...p.event, seq: q.base + p.local }));
        const { cursor } = await client.appendEvents(q.runId, batch);
        q.pending = q.pending.filter(p => q.base + p.local > cursor);
        failingSince = undefined;
        attempt = 0;
      } catch (e) {
        // A 4xx other than 429 will not change by retrying (no provisioning backend, a refused
        // batch): say so once and stop, so the task does not wait on it.
        const status = (e as { response?: { status?: number } }).response
          ?.status;
        if (status && status >= 400 && status < 500 && status !== 429) {
          logger.warn(
            `Provisioning events of ${
              run.stackId
            } were not recorded: the runs backend answered ${status}: ${
              (e as Error).message
            }`,
          );
          q.pending = [];
          return;
        }
        failingSince ??= Date.now();
        if (Date.now() - failingSince > retry.giveUpAfterMs) {
          logger.warn(
            `Gave up delivering ${q.pending.length} provisioning events of ${
              run.stackId
            } after ${Math.round(retry.giveUpAfterMs / 1000)}s: ${
              (e as Error).message
            }`,
          );
          q.pending = [];
          return;
        }
        attempt += 1;
        await sleep(
          Math.random() *
            Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt),
        );
      }
    }
  }
}
