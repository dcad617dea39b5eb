import type { EventsService } from '@backstage/plugin-events-node';
import {
  DRIFT_SCAN_REQUESTED_TOPIC,
  type DriftScanRequest,
  type StackKey,
} from '@konductor/plugin-provisioning-common';
import type { StackDriftStore } from './StackDrift';
import type { StackVersionStore } from './StackVersions';

/**
 * Asks the platform's drift scan for one stack (DRIFT_SCAN_REQUESTED_TOPIC) and records the
 * request, so the stack's page follows it until the scan reports. Someone pressing *Check now*
 * asks, and so does every run of the stack that ends: what it changed is read back at once rather
 * than at the next sweep.
 */
export class DriftScanRequests {
  constructor(
    private readonly options: {
      drift: StackDriftStore;
      versions: StackVersionStore;
      events: EventsService;
    },
  ) {}

  /**
   * Asks for a scan of the stack now; false, and nothing asked, when the stack has no desired
   * state to compare the cloud with (its first run has not succeeded, or it was destroyed).
   */
  async request(key: StackKey, at = new Date()): Promise<boolean> {
    const stack = {
      accountId: key.accountId,
      region: key.region,
      stackId: key.stackId,
    };
    const { totalCount } = await this.options.versions.latest(
      { offset: 0, limit: 1, ...stack },
      at,
    );
    if (!totalCount) return false;
    await this.options.drift.requestScan(stack, at);
    await this.options.events.publish({
      topic: DRIFT_SCAN_REQUESTED_TOPIC,
      eventPayload: stack satisfies DriftScanRequest,
    });
    return true;
  }
}
