import { eksToken } from '../__testUtils__/sandbox';
import { sessionTokenFor } from '../aws/credentials';
import { presignGet, SANDBOX_SECRET_ACCESS_KEY } from '../aws/sigv4';
import { eksTokenError } from './authn';

const apps = {
  cluster: 'apps',
  secret: SANDBOX_SECRET_ACCESS_KEY,
  allowed: () => true,
};

// The checks aws-iam-authenticator makes of a token before it asks STS (its pkg/token Verify).
describe('EKS bearer tokens', () => {
  const url = async () =>
    new URL(
      Buffer.from(
        (await eksToken('apps')).slice('k8s-aws-v1.'.length),
        'base64url',
      ).toString(),
    );
  const bearer = (u: URL | string) =>
    `Bearer k8s-aws-v1.${Buffer.from(String(u)).toString('base64url')}`;

  it('accepts a presigned GetCallerIdentity URL for 15 minutes after it was signed', async () => {
    const token = await eksToken('apps', 'eu-west-1');
    expect(eksTokenError(`Bearer ${token}`, apps)).toBeUndefined();
    expect(
      eksTokenError(`Bearer ${token}`, apps, Date.now() + 14 * 60_000),
    ).toBe(undefined);
    expect(
      eksTokenError(`Bearer ${token}`, apps, Date.now() + 16 * 60_000),
    ).toMatch(/^X-Amz-Date parameter is expired/);
  });

  it('refuses a token signed for another cluster or with another secret, as STS would', async () => {
    const token = `Bearer ${await eksToken('apps')}`;
    expect(eksTokenError(token, { ...apps, cluster: 'payments' })).toMatch(
      /^STS refused the pre-signed URL: The request signature we calculated does not match/,
    );
    expect(eksTokenError(token, { ...apps, secret: 'another-secret' })).toMatch(
      /does not match the signature you provided/,
    );
    // Signed rightly by an identity EKS does not map to a user of this cluster.
    const accounts: string[] = [];
    expect(
      eksTokenError(token, {
        ...apps,
        allowed: account => !accounts.push(account),
      }),
    ).toBe('ARN is not mapped');
    expect(accounts).toEqual(['123456789012']);
    // A parameter changed after signing breaks the signature too.
    const u = await url();
    u.searchParams.set('X-Amz-Expires', '900');
    expect(eksTokenError(bearer(u), apps)).toMatch(/does not match/);
  });

  it('refuses an access key STS does not know, and temporary credentials without their session token', async () => {
    const unknown = `Bearer ${await eksToken(
      'apps',
      'us-east-1',
      'AKIAIOSFODNN7EXAMPLE',
    )}`;
    expect(eksTokenError(unknown, apps)).toBe(
      'STS refused the pre-signed URL: The security token included in the request is invalid.',
    );
    const temporary = (sessionToken?: string) =>
      `Bearer k8s-aws-v1.${Buffer.from(
        presignGet(
          new URL(
            'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15',
          ),
          { 'x-k8s-aws-id': 'apps' },
          {
            accessKeyId: 'ASIA210987654321',
            sessionToken,
            secret: SANDBOX_SECRET_ACCESS_KEY,
            region: 'us-east-1',
            service: 'sts',
          },
          60,
        ).toString(),
      ).toString('base64url')}`;
    expect(eksTokenError(temporary(), apps)).toMatch(
      /security token .* invalid/,
    );
    expect(eksTokenError(temporary('guessed'), apps)).toMatch(
      /security token .* invalid/,
    );
    const accounts: string[] = [];
    expect(
      eksTokenError(
        temporary(
          sessionTokenFor('ASIA210987654321', SANDBOX_SECRET_ACCESS_KEY),
        ),
        { ...apps, allowed: account => !!accounts.push(account) },
      ),
    ).toBeUndefined();
    expect(accounts).toEqual(['210987654321']);
  });

  it('refuses what is not one', async () => {
    expect(eksTokenError('', apps)).toBe('no bearer token');
    expect(eksTokenError('Bearer sandbox-token', apps)).toMatch(
      /missing expected "k8s-aws-v1." prefix/,
    );
    const cases: [(u: URL) => void, RegExp][] = [
      [u => (u.protocol = 'http:'), /unexpected scheme "http"/],
      [u => (u.host = 'sts.example.com'), /unexpected hostname/],
      [u => (u.pathname = '/x'), /unexpected path/],
      [u => u.searchParams.set('Extra', '1'), /non-whitelisted .*"Extra"/],
      [
        u => u.searchParams.set('Action', 'AssumeRole'),
        /unexpected action parameter/,
      ],
      [
        u => u.searchParams.set('X-Amz-SignedHeaders', 'host'),
        /did not sign the x-k8s-aws-id header/,
      ],
      [
        u => u.searchParams.set('X-Amz-Expires', '901'),
        /invalid X-Amz-Expires .*901/,
      ],
      [
        u => u.searchParams.delete('X-Amz-Date'),
        /X-Amz-Date .*must be present/,
      ],
    ];
    for (const [change, error] of cases) {
      const u = await url();
      change(u);
      expect(eksTokenError(bearer(u), apps)).toMatch(error);
    }
    expect(eksTokenError(bearer(await url()), apps)).toBeUndefined();
  });
});
