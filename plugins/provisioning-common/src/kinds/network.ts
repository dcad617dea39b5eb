import { z } from 'zod/v3';
import { parseCidr } from '../cidr';
import { PRICES } from '../prices';
import { cents, defineKind } from './definition';

/** What a template author writes for a network (`resources.network`). */
export const networkSchema = z
  .object({
    cidr: z
      .string()
      .describe(
        'IPv4 range of the VPC, for example 10.0.0.0/16 (a /16 to /28).',
      ),
    availabilityZones: z
      .number()
      .int()
      .min(2)
      .max(3)
      .default(2)
      .describe('How many availability zones get a private subnet (2 or 3).'),
    natGateways: z
      .number()
      .int()
      .min(0)
      .max(3)
      .default(0)
      .describe(
        'NAT gateways for outbound internet access; 0 keeps the network private.',
      ),
  })
  .strict();

/** A VPC with a private subnet per availability zone and, with NAT gateways, public egress. */
export const network = defineKind({
  kind: 'network',
  title: 'a VPC network',
  onePerStack: true,
  schema: networkSchema,
  outputs: z.object({
    vpcId: z.string(),
    subnetIds: z
      .array(z.string())
      .describe('The private subnets, one per zone.'),
    cidr: z.string(),
    publicSubnetIds: z.array(z.string()).optional(),
    natGatewayIds: z.array(z.string()).optional(),
  }),
  validate({ spec: n }, problem) {
    const cidr = parseCidr(n.cidr);
    if (!cidr) {
      problem(
        'cidr',
        `"${n.cidr}" is not an IPv4 network in CIDR notation, such as 10.0.0.0/16 (host bits must be zero)`,
      );
    } else if (cidr[1] < 16 || cidr[1] > 28) {
      problem(
        'cidr',
        `/${cidr[1]} is outside what a VPC accepts: use a prefix from /16 to /28`,
      );
    } else {
      // One private subnet per zone, and one public subnet per zone when there are NAT gateways.
      const subnets = n.availabilityZones * (n.natGateways > 0 ? 2 : 1);
      const subnetPrefix = cidr[1] + Math.ceil(Math.log2(subnets));
      if (subnetPrefix > 28) {
        problem(
          'cidr',
          `${n.cidr} cannot hold ${subnets} subnets of at least /28: use a larger range or fewer availability zones`,
        );
      }
    }
    if (n.natGateways > n.availabilityZones) {
      problem(
        'natGateways',
        `${n.natGateways} NAT gateways for ${n.availabilityZones} availability zones: use at most one per zone`,
      );
    }
  },
  plan: n => ({
    summary: `VPC ${n.cidr} with ${n.availabilityZones} private subnets${
      n.natGateways
        ? `, egress through ${n.natGateways} NAT gateway${
            n.natGateways > 1 ? 's' : ''
          }`
        : ''
    }`,
    creates: [
      'VPC',
      `${n.availabilityZones} subnets`,
      ...(n.natGateways
        ? [
            `${n.availabilityZones} public subnets`,
            'internet gateway',
            `${n.natGateways} NAT gateway${n.natGateways > 1 ? 's' : ''}`,
          ]
        : []),
    ],
    monthlyCost: cents(
      n.natGateways * PRICES.natGatewayHourly * PRICES.hoursPerMonth,
    ),
  }),
  typicalCreateSeconds: 150,
  catalogType: 'aws-vpc',
});
