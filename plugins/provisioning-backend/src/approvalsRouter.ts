import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import type {
  AuditorService,
  BackstageCredentials,
  BackstagePrincipalTypes,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  createConditionAuthorizer,
  type PermissionRuleset,
} from '@backstage/plugin-permission-node';
import {
  APPROVAL_STATES,
  approvalDecisionSchema,
  approvalOpenRequestSchema,
  provisioningApprovalDecidePermission,
  provisioningApprovalReadPermission,
  provisioningApprovalWithdrawPermission,
  provisioningStackCreatePermission,
  provisioningStackDestroyPermission,
  provisioningStackUpdatePermission,
  type ApprovalRequest,
} from '@konductor/plugin-provisioning-common';
import {
  stackPermissionResource,
  type ApprovalPermissionQuery,
  type ApprovalPermissionResource,
} from '@konductor/plugin-provisioning-node';
import type { Approvals } from './service/Approvals';
import type { ApprovalFlow } from './service/ApprovalFlow';
import type { StackAccess } from './service/StackAccess';
import type { StackStore } from './service/StackStore';
import { parse } from './parse';

const listQuerySchema = z
  .object({
    state: z.enum(APPROVAL_STATES).optional(),
  })
  .strict();

/**
 * Approval requests: opened by the stack actions (as the task's user) when the platform's rules
 * say a run needs approval; read by their requesters and approvers; decided by whoever the
 * permission policy lets (an approver who did not ask). An approved request's task is resumed.
 */
export function createApprovalsRouter(options: {
  approvals: Approvals;
  flow: ApprovalFlow;
  stacks: StackStore;
  access: StackAccess;
  ruleset: PermissionRuleset<
    ApprovalPermissionResource,
    ApprovalPermissionQuery,
    'provisioning-approval'
  >;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): express.Router {
  const { approvals, flow, stacks, access, httpAuth, permissions, auditor } =
    options;
  const authorizer = createConditionAuthorizer(options.ruleset);
  const router = Router();

  /** Whether `credentials` hold read, decide and withdraw on each request, asked at once. */
  async function rights(
    credentials: BackstageCredentials,
    requests: ApprovalRequest[],
  ) {
    const [read, decide, withdraw] = await permissions.authorizeConditional(
      [
        { permission: provisioningApprovalReadPermission },
        { permission: provisioningApprovalDecidePermission },
        { permission: provisioningApprovalWithdrawPermission },
      ],
      { credentials },
    );
    return requests.map(r => ({
      read: authorizer(read, r),
      decide: authorizer(decide, r),
      withdraw: authorizer(withdraw, r),
    }));
  }

  /**
   * The request `req` names with the caller's rights on it; one the caller may not see is one
   * they cannot tell exists.
   */
  async function visible<T extends keyof BackstagePrincipalTypes>(
    req: express.Request,
    allow: T[],
  ) {
    const credentials = await httpAuth.credentials(req, { allow });
    const request = await approvals.get(req.params.id);
    const [allowed] = await rights(credentials, [request]);
    if (!allowed.read)
      throw new NotFoundError(`No approval request ${req.params.id}`);
    return { credentials, request, allowed };
  }

  router.post('/approvals', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body = parse(approvalOpenRequestSchema, req.body, 'approval request');
    const { requestedBy: onBehalfOf, ...request } = body;
    let requestedBy: string;
    if (credentials.principal.type === 'user') {
      requestedBy = credentials.principal.userEntityRef;
      if (onBehalfOf && onBehalfOf !== requestedBy)
        throw new InputError(
          'requestedBy: a user asks for themselves; leave it out',
        );
    } else {
      // A service asks for the user whose run it is, or for itself (a run it started).
      requestedBy = onBehalfOf ?? credentials.principal.subject;
    }
    // The run has claimed its stack, as the user, before it asks: the request is for a stack
    // of this owner that the requester may change or destroy.
    const stack = await stacks.get(request);
    if (!stack)
      throw new NotFoundError(
        `No stack ${request.stackId} in ${request.accountId}/${request.region}: a run claims its stack before it asks for approval`,
      );
    if (stack.owner !== request.owner) {
      const name = await access.nameOf([stack.owner, request.owner]);
      throw new ConflictError(
        `Stack ${stack.stackId} belongs to ${name(stack.owner)}, not ${name(
          request.owner,
        )}`,
      );
    }
    await access.require(
      credentials,
      {
        provision: provisioningStackCreatePermission,
        change: provisioningStackUpdatePermission,
        destroy: provisioningStackDestroyPermission,
      }[request.operation],
      stackPermissionResource(stack),
      name =>
        `You may not ${
          request.operation === 'destroy' ? 'destroy' : 'change'
        } stack ${stack.stackId}: it belongs to ${name(stack.owner)}`,
    );
    const { result, created } = await approvals.open(requestedBy, request);
    if (created && result.required) {
      const audit = await auditor.createEvent({
        eventId: 'approval-request',
        severityLevel: 'medium',
        request: req,
        meta: {
          id: result.request.id,
          operation: request.operation,
          stack: stack.ref,
          requestedBy,
          reasons: result.request.reasons,
        },
      });
      await audit.success();
      await flow.opened(result.request);
    }
    res.status(created ? 201 : 200).json(result);
  });

  router.get('/approvals', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { state } = parse(listQuerySchema, req.query, 'query');
    const all = await approvals.list(state);
    const allowed = await rights(credentials, all);
    res.json({
      items: all
        .map((r, i) => ({
          ...r,
          mayDecide: allowed[i].decide,
          mayWithdraw: allowed[i].withdraw,
        }))
        .filter((_, i) => allowed[i].read),
    });
  });

  router.get('/approvals/:id', async (req, res) => {
    const { request } = await visible(req, ['user', 'service']);
    res.json(request);
  });

  router.post('/approvals/:id/decision', async (req, res) => {
    const { credentials, request, allowed } = await visible(req, ['user']);
    const audit = await auditor.createEvent({
      eventId: 'approval-decide',
      severityLevel: 'high',
      request: req,
      meta: {
        id: request.id,
        decision: req.body?.decision,
        stack: `${request.accountId}/${request.region}/${request.stackId}`,
        requestedBy: request.requestedBy,
      },
    });
    try {
      const decision = parse(approvalDecisionSchema, req.body, 'decision');
      if (!allowed.decide) {
        const approvers = request.approvers
          .map(await access.nameOf(request.approvers))
          .join(' or ');
        throw new NotAllowedError(
          request.requestedBy === credentials.principal.userEntityRef
            ? `You asked for this run: someone else (${approvers}) must decide it`
            : `You may not decide this request: ${approvers} may`,
        );
      }
      const decided = await approvals.decide(
        request.id,
        credentials.principal.userEntityRef,
        decision,
      );
      await audit.success({ meta: { state: decided.state } });
      await flow.decided(decided);
      res.json(decided);
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  router.post('/approvals/:id/withdrawal', async (req, res) => {
    const { credentials, request, allowed } = await visible(req, ['user']);
    const audit = await auditor.createEvent({
      eventId: 'approval-withdraw',
      severityLevel: 'medium',
      request: req,
      meta: {
        id: request.id,
        stack: `${request.accountId}/${request.region}/${request.stackId}`,
        requestedBy: request.requestedBy,
      },
    });
    try {
      if (!allowed.withdraw) {
        const name = await access.nameOf([request.requestedBy]);
        throw new NotAllowedError(
          `Only ${name(
            request.requestedBy,
          )}, who asked for this run, may withdraw it`,
        );
      }
      const withdrawn = await approvals.withdraw(
        request.id,
        credentials.principal.userEntityRef,
      );
      await audit.success();
      await flow.withdrawn(withdrawn);
      res.json(withdrawn);
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  return router;
}
