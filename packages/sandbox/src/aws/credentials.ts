import { createHmac } from 'crypto';

const USER_KEY = /^AKIA(\d{12})$/;
const SESSION_KEY = /^ASIA(\d{12})$/;

/**
 * The session token that comes with the temporary credentials `accessKeyId` (an `ASIA` key id).
 * The sandbox issues them only to its own services (Argo CD's capability role); it serves no
 * AssumeRole.
 */
export const sessionTokenFor = (accessKeyId: string, secret: string) =>
  createHmac('sha256', secret)
    .update(`session-token:${accessKeyId}`)
    .digest('base64');

/** How AWS answers a request whose credentials it does not know. */
export type UnknownCredentials = 'access-key' | 'session-token';

/**
 * The account whose identity signs with `accessKeyId`, or what AWS would not know. The sandbox's
 * IAM has one user per account, whose access key id is `AKIA` and the account's 12 digits, and
 * temporary credentials (`ASIA` and the 12 digits) valid only with the session token issued with
 * them. Any other key id does not exist, and a session token on a user's long-term key, or a
 * missing or wrong one on temporary credentials, is invalid.
 */
export function identityOf(
  accessKeyId: string,
  sessionToken: string | undefined,
  secret: string,
): { account: string } | { unknown: UnknownCredentials } {
  const user = USER_KEY.exec(accessKeyId);
  if (user)
    return sessionToken === undefined
      ? { account: user[1] }
      : { unknown: 'session-token' };
  const session = SESSION_KEY.exec(accessKeyId);
  if (!session) return { unknown: 'access-key' };
  return sessionToken === sessionTokenFor(accessKeyId, secret)
    ? { account: session[1] }
    : { unknown: 'session-token' };
}

/** STS's words for credentials it does not know, which every query and JSON service repeats. */
export const INVALID_TOKEN =
  'The security token included in the request is invalid.';
