import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { AwsCaller, el, queryParams, queryResult } from './protocol';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Who signs with an account's access keys: the sandbox has one IAM user per account. */
export const callerArn = (account: string) =>
  `arn:aws:iam::${account}:user/konductor-sandbox`;

/** STS (query protocol): GetCallerIdentity. */
export async function handleSts(
  req: SandboxRequest,
  _ctx: SandboxContext,
  caller: AwsCaller,
): Promise<SandboxResponse> {
  const action = queryParams(req).get('Action');
  if (action !== 'GetCallerIdentity') {
    throw new ServiceError(
      400,
      'InvalidAction',
      `Could not find operation ${action} for version 2011-06-15`,
    );
  }
  return queryResult(
    action,
    el('Arn', callerArn(caller.account)) +
      el('UserId', caller.accessKeyId) +
      el('Account', caller.account),
    NS,
  );
}

/** The operation a STS request names, for fault matching. */
export const stsOperation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
