import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:stack:destroy`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Delete every resource of a stack, in reverse dependency order.',
    example: `steps:
  - id: destroy
    name: Destroy the stack
    action: konductor:stack:destroy
    input:
      name: shop
      environment: dev
      target:
        provider: aws
        accountId: '123456789012'
        region: us-east-1`,
  },
];
