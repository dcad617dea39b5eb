import type { ResourceKind } from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
  ResourceOutputs,
} from '../provider';
import { AwsClients, AwsProviderOptions } from './AwsClients';
import { ClusterHandler } from './ClusterHandler';
import { DatabaseHandler } from './DatabaseHandler';
import { notFound } from './errors';
import { KubernetesAppHandler } from './KubernetesAppHandler';
import { NetworkHandler } from './NetworkHandler';
import { SecretsHandler } from './SecretsHandler';

export type { AwsProviderOptions } from './AwsClients';

/**
 * Konductor's AWS provider: a registry of one handler per resource kind (VPC networks, RDS
 * PostgreSQL, Secrets Manager, EKS, and the app on the cluster), sharing one set of clients.
 */
export class AwsProvider implements CloudProvider {
  readonly id = 'aws';
  private readonly handlers: { [K in ResourceKind]: ResourceHandler<K> };

  constructor(options: AwsProviderOptions) {
    const aws = new AwsClients(options);
    const secrets = new SecretsHandler(aws);
    const cluster = new ClusterHandler(aws);
    this.handlers = {
      network: new NetworkHandler(aws),
      database: new DatabaseHandler(aws),
      secrets,
      cluster,
      app: new KubernetesAppHandler({
        cluster: ctx => cluster.describe(ctx),
        credentials: ctx => options.clients.credentials(ctx.spec.aws.accountId),
        secretValue: (ctx, source) => secrets.value(ctx, source),
        pollIntervalMs: options.pollIntervalMs ?? 10_000,
        appDomain: options.appDomain ?? 'apps.konductor.local',
        retry: options.clients.retry,
        callTimeoutMs: options.clients.callTimeoutMs,
      }),
    };
  }

  private handler(kind: ResourceKind): ResourceHandler {
    const handler = this.handlers[kind] as ResourceHandler;
    if (!handler)
      throw new Error(`The AWS provider has no resource kind ${kind}`);
    return handler;
  }

  create(kind: ResourceKind, ctx: ResourceContext): Promise<ResourceOutputs> {
    return this.handler(kind).create(ctx);
  }

  async exists(
    kind: ResourceKind,
    ctx: ResourceContext,
    outputs: ResourceOutputs,
  ): Promise<boolean> {
    try {
      // What a checkpoint holds is what the kind's handler returned.
      return await this.handler(kind).exists(ctx, outputs as never);
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  destroy(kind: ResourceKind, ctx: ResourceContext): Promise<RemovalResult> {
    return this.handler(kind).destroy(ctx);
  }
}
