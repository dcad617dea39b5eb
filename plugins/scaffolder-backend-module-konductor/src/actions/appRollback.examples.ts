import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:app:rollback`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Return the app of a stack to a revision Argo CD delivered it at (from its run page).',
    example: `steps:
  - id: rollback
    name: Roll the app back
    action: konductor:app:rollback
    input:
      name: shop
      environment: dev
      target:
        provider: aws
        accountId: '123456789012'
        region: us-east-1
      revision: 3f2a9c1`,
  },
];
