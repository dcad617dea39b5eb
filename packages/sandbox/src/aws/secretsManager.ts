import { randomUUID } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  json,
  parseJson,
} from '../types';
import { AwsCaller } from './protocol';
import type { SandboxResource, SandboxState } from '../state';

interface Version {
  id: string;
  value?: string;
  binary?: string;
  stages: string[];
  createdAt: number;
}
export interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  versions: Version[];
  rotationDays?: number;
  rotationLambda?: string;
  lastRotatedAt?: number;
  deletedAt?: number;
  changedAt: number;
  /** The AWS service that manages the secret (`rds` for an RDS-managed master password). */
  owningService?: string;
  /**
   * Force-deleted: gone for every call, but Secrets Manager frees its name asynchronously, so a
   * create of the same name is refused until the resource's `goneAt`.
   */
  purging?: boolean;
}

/**
 * The secret `secretId` (its ARN, or its name in the caller's account and region) names, as
 * Secrets Manager finds it; its refusals in Secrets Manager's words.
 */
export function lookupSecret(
  state: SandboxState,
  caller: { account: string; region: string },
  secretId: unknown,
  allowDeleted = false,
): SandboxResource<Secret> {
  if (typeof secretId !== 'string' || !secretId) {
    throw new ServiceError(
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
    );
  }
  const byArn = state
    .list<Secret>('secretsmanager', 'secret')
    .find(r => r.data.arn === secretId);
  const r =
    byArn ??
    state.get<Secret>(
      'secretsmanager',
      'secret',
      `${caller.account}/${caller.region}/${secretId}`,
    );
  if (!r || r.data.purging)
    throw new ServiceError(
      400,
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret.",
    );
  if (r.data.deletedAt && !allowDeleted) {
    throw new ServiceError(
      400,
      'InvalidRequestException',
      "You tried to perform the operation on a secret that's currently marked deleted.",
    );
  }
  return r;
}

/** The AWSCURRENT value of `secret` (a string secret's). */
export const currentValue = (secret: Secret) =>
  secret.versions.find(v => v.stages.includes('AWSCURRENT'))?.value;

/** What Secrets Manager answers a change of a secret another service manages. */
const managedElsewhere = () =>
  new ServiceError(
    400,
    'InvalidRequestException',
    'A parameter value is not valid for the current state of the resource. Possible causes: The secret is managed by another service, and you must use that service to update it.',
  );

/**
 * A secret another service (`owningService`) creates and manages, such as the master password
 * RDS keeps for an instance (`rds!db-<id>`): rotated by that service without a Lambda, and not
 * changed or deleted through Secrets Manager. Returns its ARN.
 */
export function createManagedSecret(
  ctx: SandboxContext,
  scope: { account: string; region: string },
  secret: {
    name: string;
    value: string;
    description: string;
    owningService: string;
    tags: { Key: string; Value: string }[];
    rotationDays: number;
  },
): string {
  const s: Secret = {
    name: secret.name,
    arn: `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:${
      secret.name
    }-${randomUUID().slice(0, 6)}`,
    description: secret.description,
    tags: [
      ...secret.tags,
      { Key: 'aws:secretsmanager:owningService', Value: secret.owningService },
    ],
    versions: [
      {
        id: randomUUID(),
        value: secret.value,
        stages: ['AWSCURRENT'],
        createdAt: Date.now(),
      },
    ],
    rotationDays: secret.rotationDays,
    lastRotatedAt: Date.now(),
    owningService: secret.owningService,
    changedAt: Date.now(),
  };
  ctx.state.put({
    service: 'secretsmanager',
    type: 'secret',
    id: `${scope.account}/${scope.region}/${secret.name}`,
    ...scope,
    createdAt: Date.now(),
    data: s,
  });
  return s.arn;
}

/** Deletes a secret its owning service manages, as that service does with what it manages. */
export function deleteManagedSecret(ctx: SandboxContext, arn: string) {
  const r = ctx.state
    .list<Secret>('secretsmanager', 'secret')
    .find(x => x.data.arn === arn);
  if (r?.data.owningService) ctx.state.remove('secretsmanager', 'secret', r.id);
}

const secs = (ms: number) => ms / 1000;
const reply = (body: unknown) =>
  json(200, body, { 'content-type': 'application/x-amz-json-1.1' });

/** Secrets Manager (JSON 1.1): secrets with versions, rotation and scheduled deletion. */
export async function handleSecretsManager(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
): Promise<SandboxResponse> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const op = target.split('.')[1] ?? '';
  const body = parseJson(
    req,
    () =>
      new ServiceError(
        400,
        'SerializationException',
        'Start of structure or map found where not expected.',
      ),
  );
  const scoped = (name: string) => `${caller.account}/${caller.region}/${name}`;
  const find = (secretId: unknown, allowDeleted = false) =>
    lookupSecret(ctx.state, caller, secretId, allowDeleted);
  const current = (s: Secret) =>
    s.versions.find(v => v.stages.includes('AWSCURRENT'));
  const addVersion = (
    s: Secret,
    token: string | undefined,
    value: { SecretString?: string; SecretBinary?: string },
  ) => {
    const id = token ?? randomUUID();
    const existing = s.versions.find(v => v.id === id);
    if (existing) {
      if (existing.value !== value.SecretString) {
        throw new ServiceError(
          400,
          'ResourceExistsException',
          `You can't modify an existing version, you can only create a new version. VersionId: ${id}`,
        );
      }
      return existing;
    }
    for (const v of s.versions) {
      if (v.stages.includes('AWSPREVIOUS'))
        v.stages = v.stages.filter(x => x !== 'AWSPREVIOUS');
      if (v.stages.includes('AWSCURRENT'))
        v.stages = [...v.stages.filter(x => x !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    const version: Version = {
      id,
      value: value.SecretString,
      binary: value.SecretBinary,
      stages: ['AWSCURRENT'],
      createdAt: Date.now(),
    };
    s.versions.push(version);
    s.changedAt = Date.now();
    return version;
  };

  switch (op) {
    case 'CreateSecret': {
      const name = body.Name;
      if (
        typeof name !== 'string' ||
        !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)
      ) {
        throw new ServiceError(
          400,
          'ValidationException',
          "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_+=.@-]+$",
        );
      }
      const existing = ctx.state.get<Secret>(
        'secretsmanager',
        'secret',
        scoped(name),
      );
      if (existing) {
        if (existing.data.deletedAt) {
          throw new ServiceError(
            400,
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        // Same client token and value: the retry of a create that already happened.
        const again =
          body.ClientRequestToken &&
          existing.data.versions.find(v => v.id === body.ClientRequestToken);
        if (again && again.value === body.SecretString) {
          return reply({
            ARN: existing.data.arn,
            Name: name,
            VersionId: again.id,
          });
        }
        throw new ServiceError(
          400,
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const s: Secret = {
        name,
        arn: `arn:aws:secretsmanager:${caller.region}:${
          caller.account
        }:secret:${name}-${randomUUID().slice(0, 6)}`,
        description: body.Description,
        kmsKeyId: body.KmsKeyId,
        tags: Array.isArray(body.Tags) ? body.Tags : [],
        versions: [],
        changedAt: Date.now(),
      };
      const v =
        body.SecretString !== undefined || body.SecretBinary !== undefined
          ? addVersion(s, body.ClientRequestToken, body)
          : undefined;
      ctx.state.put({
        service: 'secretsmanager',
        type: 'secret',
        id: scoped(name),
        account: caller.account,
        region: caller.region,
        createdAt: Date.now(),
        data: s,
      });
      return reply({ ARN: s.arn, Name: name, VersionId: v?.id });
    }

    case 'DescribeSecret': {
      const { data: s, createdAt } = find(body.SecretId, true);
      return reply({
        ARN: s.arn,
        Name: s.name,
        Description: s.description,
        KmsKeyId: s.kmsKeyId,
        RotationEnabled: s.rotationDays !== undefined,
        RotationLambdaARN: s.rotationLambda,
        OwningService: s.owningService,
        RotationRules:
          s.rotationDays !== undefined
            ? { AutomaticallyAfterDays: s.rotationDays }
            : undefined,
        LastRotatedDate: s.lastRotatedAt && secs(s.lastRotatedAt),
        LastChangedDate: secs(s.changedAt),
        DeletedDate: s.deletedAt && secs(s.deletedAt),
        CreatedDate: secs(createdAt),
        Tags: s.tags,
        VersionIdsToStages: Object.fromEntries(
          s.versions.filter(v => v.stages.length).map(v => [v.id, v.stages]),
        ),
      });
    }

    case 'ListSecrets': {
      const filters: { Key?: string; Values?: string[] }[] = Array.isArray(
        body.Filters,
      )
        ? body.Filters
        : [];
      const unknown = filters.find(
        f => !['name', 'tag-key', 'tag-value'].includes(String(f.Key)),
      );
      if (unknown)
        throw new ServiceError(
          400,
          'InvalidParameterException',
          `Invalid filter key: ${unknown.Key}`,
        );
      const list = ctx.state
        .list<Secret>('secretsmanager', 'secret')
        .filter(
          r =>
            r.account === caller.account &&
            r.region === caller.region &&
            !r.data.purging &&
            (body.IncludePlannedDeletion || !r.data.deletedAt),
        )
        .filter(r =>
          filters.every(f =>
            (f.Values ?? []).some(v => {
              if (f.Key === 'name') return r.data.name.startsWith(v);
              if (f.Key === 'tag-key')
                return r.data.tags.some(t => t.Key === v);
              return r.data.tags.some(t => t.Value === v);
            }),
          ),
        );
      // Pages of MaxResults (1 to 100, default 100), continued with an opaque NextToken.
      const max = body.MaxResults ?? 100;
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw new ServiceError(
          400,
          'InvalidParameterException',
          'MaxResults must be between 1 and 100',
        );
      let start = 0;
      if (body.NextToken !== undefined) {
        start = Number(
          Buffer.from(String(body.NextToken), 'base64url').toString('utf8'),
        );
        if (!Number.isInteger(start) || start < 0 || start > list.length)
          throw new ServiceError(
            400,
            'InvalidNextTokenException',
            'The NextToken value is not valid',
          );
      }
      const page = list.slice(start, start + max);
      const next = start + max < list.length ? start + max : undefined;
      return reply({
        ...(next === undefined
          ? {}
          : { NextToken: Buffer.from(String(next)).toString('base64url') }),
        SecretList: page.map(r => ({
          ARN: r.data.arn,
          Name: r.data.name,
          Description: r.data.description,
          Tags: r.data.tags,
          OwningService: r.data.owningService,
          CreatedDate: secs(r.createdAt),
          DeletedDate: r.data.deletedAt && secs(r.data.deletedAt),
        })),
      });
    }

    case 'GetSecretValue': {
      const { data: s } = find(body.SecretId);
      const v = body.VersionId
        ? s.versions.find(x => x.id === body.VersionId)
        : s.versions.find(x =>
            x.stages.includes(body.VersionStage ?? 'AWSCURRENT'),
          );
      if (!v)
        throw new ServiceError(
          400,
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${
            body.VersionStage ?? 'AWSCURRENT'
          }`,
        );
      return reply({
        ARN: s.arn,
        Name: s.name,
        VersionId: v.id,
        SecretString: v.value,
        SecretBinary: v.binary,
        VersionStages: v.stages,
        CreatedDate: secs(v.createdAt),
      });
    }

    case 'PutSecretValue': {
      const r = find(body.SecretId);
      if (r.data.owningService) throw managedElsewhere();
      if (body.SecretString === undefined && body.SecretBinary === undefined) {
        throw new ServiceError(
          400,
          'InvalidRequestException',
          'You must provide either SecretString or SecretBinary.',
        );
      }
      const v = addVersion(r.data, body.ClientRequestToken, body);
      ctx.state.put(r);
      return reply({
        ARN: r.data.arn,
        Name: r.data.name,
        VersionId: v.id,
        VersionStages: v.stages,
      });
    }

    case 'RotateSecret': {
      const r = find(body.SecretId);
      const days = body.RotationRules?.AutomaticallyAfterDays;
      if (
        days !== undefined &&
        !(Number.isInteger(days) && days >= 1 && days <= 1000)
      ) {
        throw new ServiceError(
          400,
          'InvalidParameterException',
          'RotationRules.AutomaticallyAfterDays must be between 1 and 1000.',
        );
      }
      // A secret another service manages is rotated by that service: it takes no Lambda. Any
      // other secret is rotated by a Lambda function, given now or earlier.
      if (r.data.owningService && body.RotationLambdaARN)
        throw new ServiceError(
          400,
          'InvalidRequestException',
          'Rotation Lambda ARN is not supported for a service-managed secret.',
        );
      if (
        !r.data.owningService &&
        !body.RotationLambdaARN &&
        !r.data.rotationLambda
      )
        throw new ServiceError(
          400,
          'InvalidRequestException',
          "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
        );
      r.data.rotationDays = days ?? r.data.rotationDays ?? 30;
      r.data.rotationLambda = body.RotationLambdaARN ?? r.data.rotationLambda;
      let versionId: string | undefined;
      if (body.RotateImmediately !== false) {
        // The sandbox's "rotation function": a new random value in the same JSON shape.
        const old = current(r.data)?.value;
        let next: string = randomUUID();
        try {
          const parsed = JSON.parse(old ?? '');
          if (parsed && typeof parsed === 'object' && 'password' in parsed)
            next = JSON.stringify({
              ...parsed,
              password: randomUUID().replace(/-/g, ''),
            });
        } catch {
          /* not JSON: a plain random string */
        }
        versionId = addVersion(r.data, body.ClientRequestToken, {
          SecretString: next,
        }).id;
        r.data.lastRotatedAt = Date.now();
      }
      ctx.state.put(r);
      return reply({
        ARN: r.data.arn,
        Name: r.data.name,
        VersionId: versionId,
      });
    }

    case 'RestoreSecret': {
      // A secret scheduled for deletion comes back as it was; one force-deleted is gone.
      const r = find(body.SecretId, true);
      r.data.deletedAt = undefined;
      r.data.changedAt = Date.now();
      ctx.state.put(r);
      return reply({ ARN: r.data.arn, Name: r.data.name });
    }

    case 'DeleteSecret': {
      const r = find(body.SecretId, true);
      if (r.data.owningService) throw managedElsewhere();
      const window = body.RecoveryWindowInDays;
      if (body.ForceDeleteWithoutRecovery && window !== undefined) {
        throw new ServiceError(
          400,
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (window !== undefined && !(window >= 7 && window <= 30)) {
        throw new ServiceError(
          400,
          'InvalidParameterException',
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      const deletionDate =
        Date.now() +
        (body.ForceDeleteWithoutRecovery ? 0 : (window ?? 30) * 86400_000);
      if (body.ForceDeleteWithoutRecovery) {
        r.data.purging = true;
        r.data.deletedAt = Date.now();
        r.goneAt = Date.now() + ctx.durations.secretForceDelete;
        ctx.state.put(r);
      } else {
        r.data.deletedAt = Date.now();
        ctx.state.put(r);
      }
      return reply({
        ARN: r.data.arn,
        Name: r.data.name,
        DeletionDate: secs(deletionDate),
      });
    }

    default:
      throw new ServiceError(
        400,
        'UnknownOperationException',
        `Unknown operation ${target}`,
      );
  }
}

export const secretsManagerOperation = (req: SandboxRequest) =>
  String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'Unknown';
