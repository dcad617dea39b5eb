import { randomBytes } from 'node:crypto';
import { ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  paginateListSecrets,
  PutSecretValueCommand,
  ResourceExistsException,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  database,
  secrets,
  type OutputsOf,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring, NOT_FOUND } from './errors';
import { adopt, stackTags, tagList, tagRecord } from './ownership';
import { removalOf } from './removal';

type Ctx = ResourceContext<SpecOf<typeof secrets>>;
type Outputs = OutputsOf<typeof secrets>;

/** A strong random password of URL-safe characters. */
export const password = () => randomBytes(24).toString('base64url');

/**
 * The stack's secrets in Secrets Manager (`konductor/<stackId>/<name>`): the database's
 * credentials, whose password it sets on the instance, and generated values.
 */
export class SecretsHandler implements ResourceHandler<typeof secrets> {
  constructor(private readonly aws: AwsClients) {}

  /** The Secrets Manager names of a stack's secrets. */
  names(ctx: ResourceContext): string[] {
    // Called for the app's context too: the stack's one secrets resource, whatever its name.
    const s = Object.values(ctx.spec.resources).find(
      r => r.kind === 'secrets',
    ) as SpecOf<typeof secrets> | undefined;
    if (!s) return [];
    return [...(s.databaseCredentials ? ['database'] : []), ...s.generated].map(
      n => `konductor/${ctx.stackId}/${n}`,
    );
  }

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const tags = tagList(stackTags(ctx));
    const arns: Record<string, string> = {};
    const put = async (name: string, value: string, replace: boolean) => {
      try {
        arns[name] = (
          await sm.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: value,
              Tags: tags,
              Description: `Konductor secret of ${ctx.stackId}`,
            }),
          )
        ).ARN!;
      } catch (e) {
        ignoring(ResourceExistsException)(e);
        const existing = await sm.send(
          new DescribeSecretCommand({ SecretId: name }),
        );
        adopt(ctx, `secret ${name}`, tagRecord(existing.Tags));
        if (replace)
          await sm.send(
            new PutSecretValueCommand({ SecretId: name, SecretString: value }),
          );
        arns[name] = existing.ARN!;
      }
    };
    const [dbName, ...generated] = this.names(ctx);
    if (spec.databaseCredentials) {
      const db = ctx.dependency(database);
      const pass = password();
      // The database was created with a password nobody kept: set the one this secret holds.
      const rds = await this.aws.client(RDSClient, ctx);
      await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: String(db.instanceId),
          MasterUserPassword: pass,
          ApplyImmediately: true,
        }),
      );
      const url = `postgresql://${db.username}:${pass}@${db.endpoint}:${db.port}/${db.databaseName}`;
      await put(
        dbName,
        JSON.stringify({
          engine: 'postgres',
          host: db.endpoint,
          port: db.port,
          username: db.username,
          password: pass,
          dbname: db.databaseName,
          url,
        }),
        true,
      );
    }
    for (const name of spec.databaseCredentials
      ? generated
      : [dbName, ...generated].filter(Boolean)) {
      await put(name, randomBytes(32).toString('base64url'), false);
    }
    if (spec.rotationDays) {
      for (const name of Object.keys(arns)) {
        await sm.send(
          new RotateSecretCommand({
            SecretId: name,
            RotationRules: { AutomaticallyAfterDays: spec.rotationDays },
            RotateImmediately: false,
            RotationLambdaARN: this.aws.options.rotationLambdaArn?.(
              ctx.spec.target.accountId,
              ctx.spec.target.region,
            ),
          }),
        );
      }
    }
    return {
      ...(spec.databaseCredentials ? { databaseSecretArn: arns[dbName] } : {}),
      secretArns: Object.values(arns),
    };
  }

  async exists(ctx: ResourceContext) {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    for (const name of this.names(ctx)) {
      const s = await sm.send(new DescribeSecretCommand({ SecretId: name }));
      if (s.DeletedDate) return false;
    }
    return true;
  }

  /** Reads one secret value for the app: `database.<key>` or a generated secret's name. */
  async value(ctx: ResourceContext, source: string): Promise<string> {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const [scope, key] = source.split('.');
    if (scope === 'database' && key) {
      const value = (
        await sm.send(
          new GetSecretValueCommand({
            SecretId: `konductor/${ctx.stackId}/database`,
          }),
        )
      ).SecretString!;
      return String(JSON.parse(value)[key === 'url' ? 'url' : key]);
    }
    return (
      await sm.send(
        new GetSecretValueCommand({
          SecretId: `konductor/${ctx.stackId}/${source}`,
        }),
      )
    ).SecretString!;
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
