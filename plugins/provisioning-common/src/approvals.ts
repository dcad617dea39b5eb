import { z } from 'zod/v3';
import { createPermission } from '@backstage/plugin-permission-common';
import { ENVIRONMENTS } from './stackSpec';

/**
 * The permission resource type of an approval request. Its resource ref is the request's id; its
 * rules (`provisioning-node`) match the request's approvers and its requester, so a policy can
 * say "an approver who did not ask for it".
 */
export const RESOURCE_TYPE_PROVISIONING_APPROVAL = 'provisioning-approval';

/** Approving or rejecting a request that waits for approval. */
export const provisioningApprovalDecidePermission = createPermission({
  name: 'provisioning.approval.decide',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PROVISIONING_APPROVAL,
});

/** Withdrawing a waiting request: the requester changed their mind; nothing runs. */
export const provisioningApprovalWithdrawPermission = createPermission({
  name: 'provisioning.approval.withdraw',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PROVISIONING_APPROVAL,
});

/** Seeing a request: its plan, cost, compliance verdict and decision. */
export const provisioningApprovalReadPermission = createPermission({
  name: 'provisioning.approval.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_PROVISIONING_APPROVAL,
});

/** What a stack run does: provision a new stack, change one that exists, or destroy one. */
export const APPROVAL_OPERATIONS = ['provision', 'change', 'destroy'] as const;
export type ApprovalOperation = (typeof APPROVAL_OPERATIONS)[number];

const entityRef = z
  .string()
  .regex(
    /^(group|user):[^/\s]+\/[^\s]+$/,
    'must be an entity ref such as group:default/team-a',
  );

/**
 * `POST /approvals`: a stack run asks whether it needs approval, and opens the request when it
 * does (once per task, stack and operation: asking again returns the same request).
 */
export const approvalOpenRequestSchema = z
  .object({
    taskId: z.string().min(1).max(100),
    operation: z.enum(APPROVAL_OPERATIONS),
    accountId: z.string().min(1).max(100),
    region: z.string().min(1).max(100),
    stackId: z.string().min(1).max(200),
    environment: z.enum(ENVIRONMENTS),
    owner: entityRef,
    /** The stack's estimated monthly cost once the run is done (0 for a destroy). */
    monthlyCost: z.number().min(0),
    /** The plan in lines, as the run's log gives it. */
    summary: z.array(z.string().max(1000)).max(200),
    /** The compliance gate's verdict on what the run makes (none for a destroy). */
    compliance: z
      .object({
        level: z.string().max(50),
        allowed: z.boolean(),
        violations: z.number().int().min(0),
      })
      .strict()
      .optional(),
    /**
     * Who asked, when a service opens it for them (a task resumed without its user's token);
     * a service that names nobody asks for itself.
     */
    requestedBy: entityRef.optional(),
  })
  .strict();
export type ApprovalOpenRequest = z.infer<typeof approvalOpenRequestSchema>;

/** `POST /approvals/:id/decision`. A rejection says why. */
export const approvalDecisionSchema = z
  .discriminatedUnion('decision', [
    z
      .object({
        decision: z.literal('approve'),
        comment: z.string().trim().max(2000).default(''),
      })
      .strict(),
    z
      .object({
        decision: z.literal('reject'),
        comment: z
          .string()
          .trim()
          .min(1, 'say why the request is rejected: the requester reads it')
          .max(2000),
      })
      .strict(),
  ])
  .describe('approval decision');
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** Where a request is: waiting, decided, withdrawn by its requester, or expired undecided. */
export const APPROVAL_STATES = [
  'pending',
  'approved',
  'rejected',
  'withdrawn',
  'expired',
] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** A request that waits (or waited) for approval. */
export interface ApprovalRequest
  extends Omit<ApprovalOpenRequest, 'requestedBy'> {
  id: string;
  /** Why it needs approval: the description of each rule it matches. */
  reasons: string[];
  /** Entity refs of whom may approve it (members of these groups, or these users). */
  approvers: string[];
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  state: ApprovalState;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  /** When an approved request's task was resumed. */
  resumedAt?: string;
}

/** A request as listed for a user: whether they may decide it, and withdraw it. */
export interface ApprovalListItem extends ApprovalRequest {
  mayDecide: boolean;
  mayWithdraw: boolean;
}

/** `POST /approvals`'s answer. */
export type ApprovalOpenResult =
  | { required: false }
  | { required: true; request: ApprovalRequest };

/** The Approvals inbox, where approvers decide: its name in the portal's navigation and its path. */
export const approvalsInbox = {
  label: 'Provisioning → Approvals',
  path: '/provisioning/approvals',
} as const;

/**
 * What a run that waits for `request` says: in its log as text, and on the scaffolder's task
 * page (whose error title is markdown) with the inbox as a link. `name` gives the approvers'
 * names (their refs without it).
 */
export function approvalWaitMessage(
  request: ApprovalRequest,
  format: 'text' | 'markdown' = 'text',
  name: (ref: string) => string = ref => ref,
): string {
  const inbox =
    format === 'markdown'
      ? `[${approvalsInbox.label}](${approvalsInbox.path})`
      : approvalsInbox.label;
  return `Waiting for approval (request ${request.id}): ${request.reasons.join(
    '; ',
  )}. ${request.approvers
    .map(name)
    .join(' or ')} may approve it in ${inbox}, until ${
    request.expiresAt
  }; nothing has been created or changed, and the run goes on by itself once it is approved`;
}
