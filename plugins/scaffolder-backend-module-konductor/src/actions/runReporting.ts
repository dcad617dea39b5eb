import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ProvisioningEvent,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  ProvisioningReporter,
  ProvisioningRunInfo,
  stackIdOf,
} from '@konductor/plugin-provisioning-node';

/**
 * The run a stack action reports (provision or destroy): its identity, its graph, who started
 * it, for a provisioning run the spec it makes real and its monthly cost, and an event handler that
 * mirrors each event into the task log and hands it to the reporter.
 */
export function reportingRun(
  ctx: {
    task: { id: string };
    user?: { ref?: string };
    templateInfo?: { entityRef?: string };
    logger: LoggerService;
  },
  spec: StackSpec,
  resources: ProvisioningRunInfo['resources'],
  reporter: ProvisioningReporter | undefined,
  action: { provision: { monthlyCost: number } } | 'destroy',
): { run: ProvisioningRunInfo; onEvent: (event: ProvisioningEvent) => void } {
  const run: ProvisioningRunInfo = {
    taskId: ctx.task.id,
    stackId: stackIdOf(spec),
    stackName: spec.name,
    environment: spec.environment,
    accountId: spec.target.accountId,
    region: spec.target.region,
    resources,
    startedBy: ctx.user?.ref,
    templateRef: ctx.templateInfo?.entityRef,
    owner: spec.owner,
    complianceLevel: spec.complianceLevel,
    ...(action === 'destroy'
      ? {}
      : {
          spec: desiredStateOf(spec),
          monthlyCost: action.provision.monthlyCost,
        }),
  };
  const onEvent = (event: ProvisioningEvent) => {
    if (event.status === 'failed' || event.status === 'run-failed')
      ctx.logger.error(event.message);
    else ctx.logger.info(event.message);
    reporter?.report(run, event);
  };
  return { run, onEvent };
}

/** The spec a version records: the stack's desired state, without its expiry (the stack's own). */
function desiredStateOf(spec: StackSpec): Record<string, unknown> {
  const { expiresAt: _expiry, ...desired } = spec;
  return desired as unknown as Record<string, unknown>;
}
