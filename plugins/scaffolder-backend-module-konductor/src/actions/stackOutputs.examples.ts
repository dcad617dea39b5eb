import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:stack:outputs`. */
export const examples: TemplateExample[] = [
  {
    description:
      'Read the network of an existing stack, chosen in the form, and pass its VPC id on.',
    example: `parameters:
  - properties:
      network:
        title: Network
        type: string
        ui:field: EntityPicker
        ui:options:
          catalogFilter:
            kind: System
steps:
  - id: network
    name: Read the network
    action: konductor:stack:outputs
    input:
      stack: \${{ parameters.network }}
  - id: log
    name: Show the VPC
    action: debug:log
    input:
      message: VPC \${{ steps.network.output.outputs.network.vpcId }}`,
  },
];
