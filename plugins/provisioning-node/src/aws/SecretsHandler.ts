import { randomBytes } from 'node:crypto';
import { InputError } from '@backstage/errors';
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  paginateListSecrets,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  secrets,
  type OutputsOf,
  type SecretSource,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring, NOT_FOUND } from './errors';
import { ensureSecret } from './ownSecret';
import { removalOf } from './removal';

type Ctx = ResourceContext<SpecOf<typeof secrets>>;
type Outputs = OutputsOf<typeof secrets>;

/** A strong random password of URL-safe characters. */
export const password = () => randomBytes(24).toString('base64url');

/**
 * The stack's generated secrets in Secrets Manager (`konductor/<stackId>/<name>`), random values
 * an app receives by name; rotated, when the stack asks, by the platform's rotation function
 * (Secrets Manager rotates a secret no service manages only through a Lambda function).
 */
export class SecretsHandler implements ResourceHandler<typeof secrets> {
  constructor(private readonly aws: AwsClients) {}

  /** The Secrets Manager names of the resource's generated secrets. */
  private names(ctx: ResourceContext): string[] {
    const { generated = [] } = ctx.resource as Partial<SpecOf<typeof secrets>>;
    return generated.map(n => `konductor/${ctx.stackId}/${n}`);
  }

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const { accountId, region } = ctx.spec.target;
    const rotationLambda =
      spec.rotationDays &&
      this.aws.options.rotationLambdaArn?.(accountId, region);
    // Refused before anything is written: without a function, nothing could rotate them.
    if (spec.rotationDays && !rotationLambda)
      throw new InputError(
        `resources.${ctx.name}.rotationDays: rotating generated secrets needs a rotation function, and this portal has none (konductor.aws.rotationFunctionName): remove rotationDays, or ask the platform team to configure one`,
      );
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const arns: string[] = [];
    for (const name of this.names(ctx)) {
      const { arn } = await ensureSecret(this.aws, ctx, {
        name,
        value: randomBytes(32).toString('base64url'),
        description: `Konductor secret of ${ctx.stackId}`,
      });
      arns.push(arn);
      if (rotationLambda)
        await sm.send(
          new RotateSecretCommand({
            SecretId: name,
            RotationRules: { AutomaticallyAfterDays: spec.rotationDays },
            RotateImmediately: false,
            RotationLambdaARN: rotationLambda,
          }),
        );
    }
    return { secretArns: arns };
  }

  async exists(ctx: ResourceContext) {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    for (const name of this.names(ctx)) {
      const s = await sm.send(new DescribeSecretCommand({ SecretId: name }));
      if (s.DeletedDate) return false;
    }
    return true;
  }

  /** Reads a generated secret's value for the app, by its name. */
  async value(ctx: ResourceContext, name: string): Promise<string> {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    return (
      await sm.send(
        new GetSecretValueCommand({
          SecretId: `konductor/${ctx.stackId}/${name}`,
        }),
      )
    ).SecretString!;
  }

  /** Where a generated secret lives: its own secret, the whole value. */
  source(ctx: ResourceContext, name: string): SecretSource {
    return { secretId: `konductor/${ctx.stackId}/${name}` };
  }

  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const removal = removalOf(ctx);
    // Every secret under the stack's prefix, also those of generated names no longer in the spec;
    // not those a further path names (`konductor/<stack>/<resource>/...`: other resources').
    const prefix = `konductor/${ctx.stackId}/`;
    const found = new Map<string, { Key?: string; Value?: string }[]>();
    for await (const page of paginateListSecrets(
      { client: sm },
      { Filters: [{ Key: 'name', Values: [prefix] }] },
    ))
      for (const secret of page.SecretList ?? [])
        if (!secret.Name!.slice(prefix.length).includes('/'))
          found.set(secret.Name!, secret.Tags ?? []);
    for (const name of this.names(ctx)) {
      if (found.has(name)) continue;
      const described = await sm
        .send(new DescribeSecretCommand({ SecretId: name }))
        .catch(ignoring(NOT_FOUND));
      if (described && !described.DeletedDate)
        found.set(name, described.Tags ?? []);
    }
    for (const [name, tags] of found) {
      if (!removal.mayDelete(`secret ${name}`, tags)) continue;
      await sm
        .send(
          new DeleteSecretCommand({
            SecretId: name,
            ForceDeleteWithoutRecovery: true,
          }),
        )
        .catch(ignoring(NOT_FOUND));
    }
    return removal.result();
  }
}
