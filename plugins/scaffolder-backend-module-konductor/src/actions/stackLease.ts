import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ProvisioningClient,
  StackKey,
} from '@konductor/plugin-provisioning-common';
import { provisioningRefusal } from './stackPolicy';

/** How long a lease lasts unless renewed: a dead run's stack is free again after this. */
const LEASE_SECONDS = 120;

/**
 * Runs `work` while holding the stack's lease for run `holder`, so that no other run works on the
 * stack at the same time: taken before `work` (refused, with the other run named, while another
 * holds it), renewed every third of its lifetime, given up afterwards. Should a renewal find the
 * lease taken over (this process stalled past its expiry), the signal passed to `work` aborts, so
 * the run stops and rolls back what it created.
 */
export async function withStackLease<T>(
  options: {
    leases: Pick<ProvisioningClient, 'acquireStackLease' | 'releaseStackLease'>;
    stack: StackKey;
    holder: string;
    logger: LoggerService;
    signal: AbortSignal;
  },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { leases, stack, holder, logger } = options;
  const request = { holder, ttlSeconds: LEASE_SECONDS };
  await leases
    .acquireStackLease(stack, request)
    .catch(e => Promise.reject(provisioningRefusal(e)));
  const lost = new AbortController();
  const renewal = setInterval(() => {
    leases.acquireStackLease(stack, request).catch(e => {
      if (e?.statusCode === 409) {
        logger.error(
          `Lost the lease of stack ${stack.stackId} to another run: stopping`,
        );
        lost.abort(provisioningRefusal(e));
      } else {
        // Unreachable for a moment: the lease holds until it expires; the next renewal retries.
        logger.warn(
          `Could not renew the lease of stack ${stack.stackId}: ${e.message}`,
        );
      }
    });
  }, (LEASE_SECONDS * 1000) / 3);
  try {
    return await work(AbortSignal.any([options.signal, lost.signal]));
  } finally {
    clearInterval(renewal);
    await leases
      .releaseStackLease(stack, holder)
      .catch(e =>
        logger.warn(
          `Could not give up the lease of stack ${stack.stackId} (it expires by itself): ${e.message}`,
        ),
      );
  }
}
