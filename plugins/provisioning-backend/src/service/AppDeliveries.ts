import { NotFoundError } from '@backstage/errors';
import type {
  ProvisioningStack,
  StackDelivery,
} from '@konductor/plugin-provisioning-common';
import {
  type ArgoCdHub,
  type AwsClientFactory,
  hubArgoCd,
} from '@konductor/plugin-provisioning-node';

/** The label Konductor's GitOps delivery puts on each stack's Argo CD Application. */
const STACK_LABEL = 'konductor.dev/stack';

/**
 * Stacks' apps as the platform's Argo CD reports them. An Application counts as a stack's only
 * when it is provably that stack's: named after it, labelled with it, and deploying to a cluster
 * of the stack's account and region.
 */
export class AppDeliveries {
  constructor(
    private readonly options: {
      clients: AwsClientFactory;
      /** The platform's Argo CD (`konductor.apps.gitops.argocd`), if the portal has one. */
      hub?: ArgoCdHub;
    },
  ) {}

  async of(stack: ProvisioningStack): Promise<StackDelivery> {
    const { hub, clients } = this.options;
    if (!hub)
      throw new NotFoundError(
        'This portal does not deliver apps through Argo CD (konductor.apps.gitops is not set)',
      );
    const { client } = await hubArgoCd(clients, hub);
    const app = await client.application(stack.stackId);
    const cluster = `arn:aws:eks:${stack.region}:${stack.accountId}:cluster/`;
    if (
      !app ||
      app.metadata.labels?.[STACK_LABEL] !== stack.stackId ||
      !String(app.spec.destination?.server ?? '').startsWith(cluster)
    )
      throw new NotFoundError(
        `Stack ${stack.stackId} has no app delivered through Argo CD`,
      );
    const status = app.status ?? {};
    const operation = status.operationState;
    return {
      application: app.metadata.name,
      sync: {
        status: status.sync?.status ?? 'Unknown',
        revision: status.sync?.revision,
      },
      health: {
        status: status.health?.status ?? 'Unknown',
        message: status.resources?.find(r => r.health?.message)?.health
          ?.message,
      },
      operation: operation?.phase
        ? {
            phase: operation.phase,
            message: operation.message,
            finishedAt: operation.finishedAt,
          }
        : undefined,
      history: [...(status.history ?? [])]
        .reverse()
        .map(h => ({ revision: h.revision, deployedAt: h.deployedAt })),
      resources: (status.resources ?? []).map(r => ({
        kind: r.kind,
        name: r.name,
        namespace: r.namespace,
        status: r.status,
        health: r.health?.status,
        message: r.health?.message,
      })),
    };
  }
}
