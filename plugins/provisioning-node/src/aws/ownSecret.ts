import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ResourceExistsException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { ResourceContext } from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring, NOT_FOUND } from './errors';
import { adopt, stackTags, tagList, tagRecord } from './ownership';

/** A secret of the stack: its ARN and the value it holds. */
export interface OwnSecret {
  arn: string;
  value: string;
}

/** Whether Secrets Manager refused a create because the name's secret is still being deleted. */
const nameStillTaken = (e: unknown) =>
  e instanceof InvalidRequestException &&
  /scheduled for deletion/.test(e.message);

/**
 * A secret of the stack in Secrets Manager: created with `value` and the stack's tags, or, when
 * the name is taken by a secret provably this stack's and owner's, adopted with the value it
 * holds (a resumed run keeps what it stored). One scheduled for deletion is restored; one
 * force-deleted moments ago (its name is freed asynchronously, as after a destroy) is waited out
 * and created again. Returns its ARN and the value it holds.
 */
export async function ensureSecret(
  aws: AwsClients,
  ctx: ResourceContext,
  secret: { name: string; value: string; description: string },
): Promise<OwnSecret> {
  const sm = await aws.client(SecretsManagerClient, ctx);
  const { name } = secret;
  return aws.wait<OwnSecret>(ctx, `secret ${name}`, async () => {
    try {
      const { ARN } = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: secret.value,
          Description: secret.description,
          Tags: tagList(stackTags(ctx)),
        }),
      );
      return { done: { arn: ARN!, value: secret.value } };
    } catch (e) {
      if (!(e instanceof ResourceExistsException) && !nameStillTaken(e))
        throw e;
    }
    const existing = await sm
      .send(new DescribeSecretCommand({ SecretId: name }))
      .catch(ignoring(NOT_FOUND));
    // Force-deleted: Secrets Manager frees the name shortly.
    if (!existing) return { state: 'name still being freed after a deletion' };
    adopt(ctx, `secret ${name}`, tagRecord(existing.Tags));
    if (existing.DeletedDate)
      await sm.send(new RestoreSecretCommand({ SecretId: name }));
    const stored = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    return { done: { arn: existing.ARN!, value: stored.SecretString! } };
  });
}
