import { approvalWaitMessage, type ApprovalRequest } from './approvals';

const request: ApprovalRequest = {
  id: 'r-1',
  taskId: 't-1',
  operation: 'provision',
  accountId: '000000000000',
  region: 'us-east-1',
  stackId: 'orders-prod',
  environment: 'prod',
  owner: 'group:default/team-a',
  monthlyCost: 120,
  summary: [],
  reasons: ["prod stacks need a platform admin's approval"],
  approvers: ['group:default/platform-team', 'group:default/platform-admins'],
  requestedBy: 'user:default/alice',
  requestedAt: '2026-12-06T10:00:00.000Z',
  expiresAt: '2026-12-08T10:00:00.000Z',
  state: 'pending',
};

describe('approvalWaitMessage', () => {
  it('says why the run waits, who may approve it where, and until when', () => {
    expect(approvalWaitMessage(request)).toBe(
      "Waiting for approval (request r-1): prod stacks need a platform admin's approval. " +
        'group:default/platform-team or group:default/platform-admins may approve it in ' +
        'Provisioning → Approvals, until 2026-12-08T10:00:00.000Z; nothing has been created or ' +
        'changed, and the run goes on by itself once it is approved',
    );
  });

  it('links the inbox in markdown, for the task page, and only there', () => {
    const markdown = approvalWaitMessage(request, 'markdown');
    expect(markdown).toContain(
      'may approve it in [Provisioning → Approvals](/provisioning/approvals), until',
    );
    expect(approvalWaitMessage(request)).not.toContain('](');
  });

  it('names the approvers by the names it is given', () => {
    const names: Record<string, string> = {
      'group:default/platform-team': 'Platform team',
    };
    expect(
      approvalWaitMessage(request, 'text', ref => names[ref] ?? ref),
    ).toContain(
      '. Platform team or group:default/platform-admins may approve it in ',
    );
  });
});
