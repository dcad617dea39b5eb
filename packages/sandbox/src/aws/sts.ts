import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { AwsCaller, el, queryParams, queryResult } from './protocol';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

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
    el('Arn', `arn:aws:iam::${caller.account}:user/konductor-sandbox`) +
      el('UserId', caller.accessKeyId) +
      el('Account', caller.account),
    NS,
  );
}

/** The operation a STS request names, for fault matching. */
export const stsOperation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
