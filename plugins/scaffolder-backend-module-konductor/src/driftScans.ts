import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { EventsService } from '@backstage/plugin-events-node';
import {
  DRIFT_SCAN_REQUESTED_TOPIC,
  type DesiredStackState,
  type DriftReport,
  type DriftScanRequest,
  type ProvisioningClient,
  type StackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  type CloudProviders,
  scanDrift,
} from '@konductor/plugin-provisioning-node';

/** What one sweep of every stack did. */
export interface DriftSweep {
  /** Stacks scanned and reported. */
  scanned: number;
  /** Stacks a run held (scanned at the next sweep). */
  skipped: number;
  /** Stacks whose scan or report failed (logged). */
  failed: number;
}

/**
 * Compares every stack's last desired-state version with its cloud, and reports what it finds to
 * the provisioning backend; the stacks' handlers read, nothing is changed. A stack a run holds
 * is left for the next sweep: it would be seen half-changed.
 */
export class DriftScanner {
  constructor(
    private readonly options: {
      providers: CloudProviders;
      /** The provisioning backend as the platform's service. */
      platform: Pick<ProvisioningClient, 'listDesiredStates' | 'reportDrift'>;
      logger: LoggerService;
      /** Stacks scanned at once (default 8). */
      concurrency?: number;
    },
  ) {}

  /** Scans one stack and reports what it found. */
  async scan(state: DesiredStackState): Promise<DriftReport> {
    // The recorded owner is whose resources are; a spec is checked against it.
    const spec = { ...state.spec, owner: state.owner } as StackSpec;
    const report = await scanDrift({
      spec,
      version: state.version,
      provider: this.options.providers.of(spec),
    });
    await this.options.platform.reportDrift(state, report);
    return report;
  }

  /** Every stack with a version, `concurrency` at a time. */
  async sweep(): Promise<DriftSweep> {
    const result: DriftSweep = { scanned: 0, skipped: 0, failed: 0 };
    const limit = 100;
    for (let offset = 0; ; offset += limit) {
      const page = await this.options.platform.listDesiredStates({
        offset,
        limit,
      });
      await this.each(page.items, async state => {
        if (state.running) {
          result.skipped++;
          return;
        }
        try {
          await this.scan(state);
          result.scanned++;
        } catch (e) {
          result.failed++;
          this.options.logger.warn(
            `Drift scan of stack ${state.stackId} failed: ${
              (e as Error).message
            }`,
          );
        }
      });
      if (offset + page.items.length >= page.totalCount || !page.items.length)
        return result;
    }
  }

  /** Scans the one stack someone asked about, if it has a version. */
  async scanOne(key: DriftScanRequest): Promise<DriftReport | undefined> {
    const [state] = (
      await this.options.platform.listDesiredStates({
        offset: 0,
        limit: 1,
        ...key,
      })
    ).items;
    return state ? this.scan(state) : undefined;
  }

  private async each<T>(items: T[], fn: (item: T) => Promise<void>) {
    const queue = [...items];
    await Promise.all(
      Array.from(
        { length: Math.min(this.options.concurrency ?? 8, queue.length) },
        async () => {
          for (let item = queue.shift(); item; item = queue.shift())
            await fn(item);
        },
      ),
    );
  }
}

/**
 * Sweeps every stack for drift on a schedule (`konductor.provisioning.drift.intervalMinutes`,
 * default 60; one replica at a time), and scans a stack when someone asks for it.
 */
export async function startDriftScans(options: {
  scanner: DriftScanner;
  scheduler: SchedulerService;
  events: EventsService;
  config: Config;
  logger: LoggerService;
}) {
  const { scanner, scheduler, events, config, logger } = options;
  const minutes =
    config.getOptionalNumber('konductor.provisioning.drift.intervalMinutes') ??
    60;
  await scheduler.scheduleTask({
    id: 'konductor-drift-scan',
    scope: 'global',
    frequency: { minutes },
    timeout: { minutes: Math.max(10, minutes) },
    initialDelay: { minutes: Math.min(5, minutes) },
    fn: async () => {
      const sweep = await scanner.sweep();
      logger.info(
        `Drift scan: ${sweep.scanned} stacks scanned, ${sweep.skipped} left to the next sweep (a run holds them), ${sweep.failed} failed`,
      );
    },
  });
  await events.subscribe({
    id: 'konductor-drift-scan',
    topics: [DRIFT_SCAN_REQUESTED_TOPIC],
    onEvent: async ({ eventPayload }) => {
      const key = eventPayload as DriftScanRequest;
      await scanner
        .scanOne(key)
        .catch(e =>
          logger.warn(
            `Drift scan of stack ${key.stackId} failed: ${
              (e as Error).message
            }`,
          ),
        );
    },
  });
}
