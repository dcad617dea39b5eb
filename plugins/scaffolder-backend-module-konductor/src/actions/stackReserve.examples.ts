import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:stack:reserve` a template author can copy. */
export const examples: TemplateExample[] = [
  {
    description:
      "Reserves a service's stack (its checks, its claim, its approval when the rules ask for one) before its repository is created; the provision step, with the same input, then creates it. The first step of a template, so that a refused or waiting stack leaves nothing behind.",
    example: `steps:
  - id: reserve
    name: Reserve the stack
    action: konductor:stack:reserve
    input: &stack
      name: ledger
      environment: staging
      owner: group:default/team-a
      target:
        provider: aws
        accountId: '123456789012'
        region: us-east-1
      resources:
        network:
          cidr: 10.30.0.0/20
        database:
          passwordRotationDays: 30
  - id: repo
    name: Create the repository
    action: konductor:github:repo:provision
    input:
      repoUrl: github.com?owner=acme&repo=ledger
      ownerTeam: group:default/team-a
  - id: stack
    name: Provision the stack
    action: konductor:stack:provision
    input: *stack`,
  },
];
