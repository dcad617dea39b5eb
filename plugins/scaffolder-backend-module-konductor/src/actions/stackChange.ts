import { ResponseError } from '@backstage/errors';
import {
  type ChangePlan,
  type ProvisioningClient,
  type ResourceKinds,
  type StackSpec,
  planChange,
  specValueText,
} from '@konductor/plugin-provisioning-common';
import { stackIdOf } from '@konductor/plugin-provisioning-node';

const usd = (n: number) => `$${n.toFixed(2)}`;

/**
 * The change plan of `spec` against its stack's last recorded version, or undefined for a stack
 * with none (a new stack, or one recorded before versions were). A stack the user may not see
 * has none here: claiming it refuses the run with the reason.
 */
export async function changeOfStack(
  stacks: Pick<ProvisioningClient, 'getStackVersions'>,
  spec: StackSpec,
  kinds: ResourceKinds,
): Promise<ChangePlan | undefined> {
  const versions = await stacks
    .getStackVersions({
      accountId: spec.target.accountId,
      region: spec.target.region,
      stackId: stackIdOf(spec),
    })
    .catch(e => {
      if (e instanceof ResponseError && [403, 404].includes(e.statusCode))
        return { items: [] };
      throw e;
    });
  const latest = versions.items[0];
  return latest
    ? planChange(latest.spec as StackSpec, spec, latest.version, kinds)
    : undefined;
}

/** The change plan in the task log's words, one line per resource that changes. */
export function describeChange(plan: ChangePlan): string[] {
  const changed = plan.resources.filter(r => r.action !== 'none');
  if (!changed.length)
    return [`No change to version ${plan.fromVersion} of the stack`];
  return [
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
