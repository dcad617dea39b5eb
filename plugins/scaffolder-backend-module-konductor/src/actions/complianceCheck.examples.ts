import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:compliance:check`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Check a production stack against the moderate level before creating anything.',
    example: `steps:
  - id: compliance
    name: Compliance gate
    action: konductor:compliance:check
    input:
      name: shop
      environment: prod
      owner: group:default/team-a
      complianceLevel: moderate
      target:
        provider: aws
        accountId: '123456789012'
        region: us-east-1
      resources:
        network:
          cidr: 10.0.0.0/16
        database:
          backupRetentionDays: 7
          multiAz: true
          deletionProtection: true
          passwordRotationDays: 30`,
  },
];
