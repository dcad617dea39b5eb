import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:github:repo:provision`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Create a repository in an organisation, push the rendered skeleton and apply the compliance baseline.',
    example: `steps:
  - id: repo
    name: Create the repository
    action: konductor:github:repo:provision
    input:
      repoUrl: github.com?owner=acme&repo=shop
      description: The shop service
      ownerTeam: payments
      requiredApprovals: 2
      requiredStatusChecks: [ci]`,
  },
];
