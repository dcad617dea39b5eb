import { ResponseError } from '@backstage/errors';
import {
  usd,
  type ChangePlan,
  type ProvisioningClient,
  type ResourceKinds,
  type StackSpec,
  liveSpecOf,
  planChange,
  specValueText,
} from '@konductor/plugin-provisioning-common';
import { stackIdOf } from '@konductor/plugin-provisioning-node';

/**
 * The change plan of `spec` against its stack's last recorded version, or undefined for a stack
 * with none (a new stack, or one recorded before versions were). A stack the user may not see
 * has none here: claiming it refuses the run with the reason.
 */
export async function changeOfStack(
  stacks: Pick<ProvisioningClient, 'getStackVersions' | 'getStackDrift'>,
  spec: StackSpec,
  kinds: ResourceKinds,
): Promise<ChangePlan | undefined> {
  const key = {
    accountId: spec.target.accountId,
    region: spec.target.region,
    stackId: stackIdOf(spec),
  };
  const versions = await stacks.getStackVersions(key).catch(e => {
    if (e instanceof ResponseError && [403, 404].includes(e.statusCode))
      return { items: [] };
    throw e;
  });
  const latest = versions.items[0];
  if (!latest) return undefined;
  // What the cloud has, when the last drift scan found it changed outside Konductor: the run
  // brings it to the spec too, so the plan starts from there.
  const recorded = latest.spec as StackSpec;
  const drift = await stacks.getStackDrift(key).catch(() => undefined);
  const live = liveSpecOf(recorded, latest.version, drift);
  const plan = planChange(live ?? recorded, spec, latest.version, kinds);
  return live ? { ...plan, driftScannedAt: drift!.scannedAt } : plan;
}

/** The change plan in the task log's words, one line per resource that changes. */
export function describeChange(plan: ChangePlan): string[] {
  const changed = plan.resources.filter(r => r.action !== 'none');
  if (!changed.length)
    return [`No change to version ${plan.fromVersion} of the stack`];
  return [
    ...(plan.driftScannedAt
      ? [
          `Starting from what the cloud has, as the drift scan of ${plan.driftScannedAt} found it: the run reverts what changed outside Konductor`,
        ]
      : []),
    `Changes to version ${plan.fromVersion} (${usd(
      plan.monthlyCostBefore,
    )}/month -> ${usd(plan.monthlyCostAfter)}/month):`,
    ...changed.map(
      r =>
        `  ${r.resource}: ${
          r.action === 'update' ? 'update in place' : r.action
        }${
          r.changes.length
            ? ` (${r.changes
                .map(
                  c =>
                    `${c.path} ${specValueText(c.before)} -> ${specValueText(
                      c.after,
                    )}`,
                )
                .join(', ')})`
            : ''
        }${r.interrupts ? ', interrupts service' : ''}`,
    ),
  ];
}
