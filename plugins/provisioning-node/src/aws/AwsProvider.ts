import { InputError } from '@backstage/errors';
import { EKSClient } from '@aws-sdk/client-eks';
import {
  awsTargetSchema,
  BUILT_IN_RESOURCE_KINDS,
  ResourceKinds,
  type SecretSource,
} from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  RemovalResult,
  Observation,
  ResourceContext,
  ResourceHandler,
  ResourceOutputs,
} from '../provider';
import type { ResourceKindModule } from '../resourceKinds';
import { AwsClients, AwsProviderOptions } from './AwsClients';
import { ClusterHandler } from './ClusterHandler';
import { DatabaseHandler } from './DatabaseHandler';
import { notFound } from './errors';
import { KubernetesAppHandler } from './KubernetesAppHandler';
import { GitOpsAppHandler } from './GitOpsAppHandler';
import { hubArgoCd } from '../delivery/hub';
import { NetworkHandler } from './NetworkHandler';
import { SecretsHandler } from './SecretsHandler';

export type { AwsProviderOptions } from './AwsClients';

/**
 * Konductor's AWS provider: a registry of one handler per resource kind (VPC networks, RDS
 * PostgreSQL, Secrets Manager, EKS, the app on the cluster, and the kinds modules add), sharing
 * one set of clients.
 */
export class AwsProvider implements CloudProvider {
  readonly id = 'aws';
  readonly target = awsTargetSchema;
  readonly kinds: ResourceKinds;
  private readonly handlers = new Map<string, ResourceHandler>();
  private readonly secrets: SecretsHandler;

  /**
   * `modules`: further kinds (registered through the extension point); those with an AWS handler
   * are the provider's.
   */
  constructor(options: AwsProviderOptions, modules: ResourceKindModule[] = []) {
    const aws = new AwsClients(options);
    const secrets = new SecretsHandler(aws);
    this.secrets = secrets;
    const cluster = new ClusterHandler(aws);
    const builtIn: Record<string, ResourceHandler<any>> = {
      network: new NetworkHandler(aws),
      database: new DatabaseHandler(aws),
      secrets,
      cluster,
      app: options.gitops
        ? new GitOpsAppHandler({
            cluster: ctx => cluster.describe(ctx),
            argoCd: ctx =>
              hubArgoCd(options.clients, options.gitops!.argoCd, ctx.signal),
            eks: ctx => aws.client(EKSClient, ctx),
            repository: options.gitops.repository,
            secretsRoleName: options.gitops.secretsRoleName,
            secretSource: (ctx, source) => this.secretSource(ctx, source),
            host: ctx => aws.appHost(ctx),
            pollIntervalMs: options.pollIntervalMs ?? 10_000,
            progressDeadlineMs: options.imagePullGraceMs ?? 120_000,
          })
        : new KubernetesAppHandler({
            cluster: ctx => cluster.describe(ctx),
            credentials: ctx =>
              options.clients.credentials(ctx.spec.target.accountId),
            secretValue: (ctx, source) => this.secretValue(ctx, source),
            pollIntervalMs: options.pollIntervalMs ?? 10_000,
            host: ctx => aws.appHost(ctx),
            retry: options.clients.retry,
            callTimeoutMs: options.clients.callTimeoutMs,
            imagePullGraceMs: options.imagePullGraceMs ?? 120_000,
          }),
    };
    for (const [kind, handler] of Object.entries(builtIn))
      this.handlers.set(kind, handler);
    const own = modules.filter(m => m.handlers.aws);
    this.kinds = BUILT_IN_RESOURCE_KINDS.with(...own.map(m => m.definition));
    for (const m of own)
      this.handlers.set(
        m.definition.kind,
        m.handlers.aws!(aws) as ResourceHandler,
      );
  }

  /**
   * A secret value an app receives (`secretEnv`): `<resource>.<key>` of a resource whose kind
   * holds secrets, read by its handler; else the secrets resource's (`database.password`, a
   * generated name).
   */
  private secretValue(app: ResourceContext, source: string) {
    const held = this.holder(app, source);
    if (held?.handler.secretValue)
      return held.handler.secretValue(held.ctx, held.key, held.outputs);
    return this.secrets.value(app, source);
  }

  /**
   * Where that value lives in Secrets Manager; undefined when its holder composes it (a URL)
   * or keeps it elsewhere.
   */
  private secretSource(
    app: ResourceContext,
    source: string,
  ): SecretSource | undefined {
    const held = this.holder(app, source);
    if (held)
      return held.handler.secretSource?.(held.ctx, held.key, held.outputs);
    return this.secrets.source(app, source);
  }

  /** The resource whose kind holds the secret value `source` names (`database.password`), if one does. */
  private holder(app: ResourceContext, source: string) {
    const [name, key] = source.split('.');
    const resource = app.spec.resources[name];
    const handler = resource && this.handlers.get(resource.kind);
    if (
      name === app.name ||
      !handler ||
      !this.kinds.get(resource.kind)?.secrets?.includes(key)
    )
      return undefined;
    return {
      handler,
      key,
      ctx: { ...app, name, resource },
      // None yet when a stack is checked before it is created.
      outputs: app.outputs[name] ?? {},
    };
  }

  private handler(ctx: ResourceContext): ResourceHandler {
    const handler = this.handlers.get(ctx.resource.kind);
    if (!handler)
      throw new Error(
        `The AWS provider has no handler for the kind '${ctx.resource.kind}' of ${ctx.name}`,
      );
    return handler;
  }

  preflight(ctx: ResourceContext): void {
    this.handler(ctx).preflight?.(ctx);
  }

  async observe(ctx: ResourceContext): Promise<Observation | undefined> {
    return this.handler(ctx).observe?.(ctx);
  }

  rollback(ctx: ResourceContext, revision: string): Promise<ResourceOutputs> {
    const handler = this.handler(ctx);
    if (!handler.rollback)
      throw new InputError(
        `${ctx.name} (${ctx.resource.kind}) is not delivered by revision on this portal, so it cannot be rolled back: apps are when they go through git (konductor.apps.gitops)`,
      );
    return handler.rollback(ctx, revision);
  }

  create(ctx: ResourceContext): Promise<ResourceOutputs> {
    return this.handler(ctx).create(ctx);
  }

  async exists(
    ctx: ResourceContext,
    outputs: ResourceOutputs,
  ): Promise<boolean> {
    try {
      // What a checkpoint holds is what the kind's handler returned.
      return await this.handler(ctx).exists(ctx, outputs);
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  destroy(ctx: ResourceContext): Promise<RemovalResult> {
    return this.handler(ctx).destroy(ctx);
  }
}
