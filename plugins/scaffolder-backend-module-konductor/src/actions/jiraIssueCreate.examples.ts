import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:jira:issue:create`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Open a ticket for the platform team to fulfil a request by hand.',
    example: `steps:
  - id: ticket
    name: Request a database
    action: konductor:jira:issue:create
    input:
      projectKey: PLAT
      issueType: Service Request
      summary: PostgreSQL database for billing
      description: |
        Requested through Konductor.
        Size: db.t4g.small, 100 GB.
      labels: [konductor]`,
  },
  {
    description:
      'Open a ticket and keep the task running until the ticket is done.',
    example: `steps:
  - id: ticket
    name: Request access and wait
    action: konductor:jira:issue:create
    input:
      projectKey: OPS
      summary: VPN access for the shop team
      waitForDone: true
      timeoutMinutes: 1440`,
  },
];
