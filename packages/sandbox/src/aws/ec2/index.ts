import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../../types';
import { AwsCaller, queryParams } from '../protocol';
import { Ec2Handlers, ec2Call } from './call';

import { vpcsOperations } from './vpcs';
import { subnetsOperations } from './subnets';
import { securityGroupsOperations } from './securityGroups';
import { gatewaysOperations } from './gateways';
import { routeTablesOperations } from './routeTables';

/** EC2 (its own query protocol): one module per kind of resource, dispatched by action. */
const operations: Ec2Handlers = {
  ...vpcsOperations,
  ...subnetsOperations,
  ...securityGroupsOperations,
  ...gatewaysOperations,
  ...routeTablesOperations,
};

export async function handleEc2(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation = false,
): Promise<SandboxResponse> {
  const call = ec2Call(req, ctx, caller, failLongOperation);
  const operation = operations[call.action];
  if (!operation)
    throw new ServiceError(
      400,
      'InvalidAction',
      `The action ${call.action} is not valid for this web service.`,
    );
  return operation(call);
}

export const ec2Operation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
