import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  paginateListSecrets,
} from '@aws-sdk/client-secrets-manager';
import { aws, eventually, useSandbox } from '../__testUtils__/sandbox';

describe('Secrets Manager', () => {
  const sandbox = useSandbox();
  const sm = () => new SecretsManagerClient(aws(sandbox()));
  const value = JSON.stringify({
    username: 'app',
    password: 'first-password',
    host: 'db.local',
    port: 5432,
  });

  it('creates, reads, versions and describes a secret', async () => {
    const created = await sm().send(
      new CreateSecretCommand({
        Name: 'shop/db',
        SecretString: value,
        Tags: [{ Key: 'konductor:stack', Value: 'shop' }],
      }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:shop\/db-.{6}$/,
    );
    expect(
      (await sm().send(new GetSecretValueCommand({ SecretId: 'shop/db' })))
        .SecretString,
    ).toBe(value);
    expect(
      (await sm().send(new GetSecretValueCommand({ SecretId: created.ARN })))
        .VersionId,
    ).toBe(created.VersionId);

    const put = await sm().send(
      new PutSecretValueCommand({
        SecretId: 'shop/db',
        SecretString: '{"password":"second"}',
      }),
    );
    const described = await sm().send(
      new DescribeSecretCommand({ SecretId: 'shop/db' }),
    );
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId!]: ['AWSPREVIOUS'],
      [put.VersionId!]: ['AWSCURRENT'],
    });
    expect(described.Tags).toEqual([{ Key: 'konductor:stack', Value: 'shop' }]);
    expect(described.CreatedDate).toBeInstanceOf(Date);
  });

  it('rejects a duplicate name, but a retry with the same client token returns the first result', async () => {
    const token = '11111111-2222-3333-4444-555555555555';
    const first = await sm().send(
      new CreateSecretCommand({
        Name: 'retry',
        SecretString: 'x',
        ClientRequestToken: token,
      }),
    );
    const again = await sm().send(
      new CreateSecretCommand({
        Name: 'retry',
        SecretString: 'x',
        ClientRequestToken: token,
      }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    await expect(
      sm().send(new CreateSecretCommand({ Name: 'retry', SecretString: 'x' })),
    ).rejects.toMatchObject({ name: 'ResourceExistsException' });
  });

  it('rotates with a Lambda function: a new password in the same JSON shape, and rotation rules recorded', async () => {
    await sm().send(
      new CreateSecretCommand({ Name: 'rotating', SecretString: value }),
    );
    // A secret no service manages is rotated by a Lambda function: without one, nothing rotates.
    await expect(
      sm().send(
        new RotateSecretCommand({
          SecretId: 'rotating',
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining("doesn't already have a Lambda"),
    });
    await sm().send(
      new RotateSecretCommand({
        SecretId: 'rotating',
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotationLambdaARN:
          'arn:aws:lambda:us-east-1:123456789012:function:rotate-postgres',
      }),
    );
    const rotated = JSON.parse(
      (await sm().send(new GetSecretValueCommand({ SecretId: 'rotating' })))
        .SecretString!,
    );
    expect(rotated).toMatchObject({ username: 'app', host: 'db.local' });
    expect(rotated.password).not.toBe('first-password');
    expect(
      await sm().send(new DescribeSecretCommand({ SecretId: 'rotating' })),
    ).toMatchObject({
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    await expect(
      sm().send(
        new RotateSecretCommand({
          SecretId: 'rotating',
          RotationRules: { AutomaticallyAfterDays: 0 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('deletes with a recovery window or at once, with the real errors afterwards', async () => {
    await sm().send(
      new CreateSecretCommand({ Name: 'scheduled', SecretString: 'x' }),
    );
    await sm().send(
      new DeleteSecretCommand({
        SecretId: 'scheduled',
        RecoveryWindowInDays: 7,
      }),
    );
    await expect(
      sm().send(new GetSecretValueCommand({ SecretId: 'scheduled' })),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await expect(
      sm().send(
        new CreateSecretCommand({ Name: 'scheduled', SecretString: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });

    await sm().send(
      new CreateSecretCommand({ Name: 'gone', SecretString: 'x' }),
    );
    await sm().send(
      new DeleteSecretCommand({
        SecretId: 'gone',
        ForceDeleteWithoutRecovery: true,
      }),
    );
    await expect(
      sm().send(new DescribeSecretCommand({ SecretId: 'gone' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    // Gone for every call, but its name is freed asynchronously: a create waits it out.
    await expect(
      sm().send(new CreateSecretCommand({ Name: 'gone', SecretString: 'y' })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('already scheduled for deletion'),
    });
    await expect(
      sm().send(new RestoreSecretCommand({ SecretId: 'gone' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await eventually(() =>
      sm()
        .send(new CreateSecretCommand({ Name: 'gone', SecretString: 'y' }))
        .catch(() => undefined),
    );

    // One scheduled for deletion is restored as it was.
    await sm().send(new RestoreSecretCommand({ SecretId: 'scheduled' }));
    expect(
      (await sm().send(new GetSecretValueCommand({ SecretId: 'scheduled' })))
        .SecretString,
    ).toBeDefined();
    expect(
      (await sm().send(new DescribeSecretCommand({ SecretId: 'scheduled' })))
        .DeletedDate,
    ).toBeUndefined();
    await expect(
      sm().send(
        new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('lists secrets by name prefix and rejects unknown filters', async () => {
    const { SecretList } = await sm().send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['shop/'] }] }),
    );
    expect(SecretList?.map(s => s.Name)).toEqual(['shop/db']);
    await expect(
      sm().send(
        new ListSecretsCommand({
          Filters: [{ Key: 'owner' as any, Values: ['x'] }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('pages ListSecrets with MaxResults and NextToken, as the SDK paginator reads it', async () => {
    for (const n of [1, 2, 3, 4, 5])
      await sm().send(
        new CreateSecretCommand({ Name: `paged/${n}`, SecretString: 'x' }),
      );
    const pages: string[][] = [];
    for await (const page of paginateListSecrets(
      { client: sm(), pageSize: 2 },
      { Filters: [{ Key: 'name', Values: ['paged/'] }] },
    ))
      pages.push(page.SecretList!.map(s => s.Name!));
    expect(pages.map(p => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([1, 2, 3, 4, 5].map(n => `paged/${n}`));
    await expect(
      sm().send(new ListSecretsCommand({ MaxResults: 101 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      sm().send(new ListSecretsCommand({ NextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidNextTokenException' });
  });

  it('never shows secret values on the inspection endpoint', async () => {
    const text = await (
      await fetch(`${sandbox().url}/__sandbox/resources`)
    ).text();
    expect(text).toContain('shop/db');
    expect(text).not.toContain('first-password');
  });
});
