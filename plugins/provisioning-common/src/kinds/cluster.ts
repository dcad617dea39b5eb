import { z } from 'zod/v3';
import { PRICES } from '../prices';
import {
  EKS_RELEASES,
  kubernetesUpgradeRefusal,
  newestEksVersion,
} from '../kubernetesReleases';
import { cents, defineKind } from './definition';

/** Kubernetes versions Konductor's AWS provider offers: those in the EKS release calendar. */
export const KUBERNETES_VERSIONS = Object.keys(EKS_RELEASES);

/** What a template author writes for a cluster (`resources.cluster`). */
export const clusterSchema = z
  .object({
    kubernetesVersion: z
      .string()
      .default(() => newestEksVersion(new Date()))
      .describe(
        'Kubernetes version, such as 1.34; by default the newest in standard support on the day.',
      ),
    nodeInstanceType: z
      .string()
      .default('t3.medium')
      .describe('EC2 instance type of the nodes.'),
    minNodes: z.number().int().min(0).max(100).default(1),
    desiredNodes: z.number().int().min(0).max(100).default(2),
    maxNodes: z.number().int().min(1).max(100).default(3),
    publicEndpoint: z
      .boolean()
      .default(false)
      .describe('Expose the Kubernetes API endpoint to the internet.'),
    logging: z
      .array(
        z.enum([
          'api',
          'audit',
          'authenticator',
          'controllerManager',
          'scheduler',
        ]),
      )
      .default(['api', 'audit', 'authenticator'])
      .describe('Control plane log types to send to CloudWatch.'),
    encryptSecrets: z
      .boolean()
      .default(true)
      .describe('Envelope-encrypt Kubernetes secrets with KMS.'),
  })
  .strict();

/** An EKS cluster with a managed node group, in the stack's private subnets. */
export const cluster = defineKind({
  kind: 'cluster',
  title: 'an EKS cluster',
  onePerStack: true,
  requires: ['network'],
  schema: clusterSchema,
  outputs: z.object({
    clusterName: z.string(),
    endpoint: z.string(),
    arn: z.string(),
    nodegroupName: z.string(),
  }),
  validate({ spec: c }, problem) {
    if (!KUBERNETES_VERSIONS.includes(c.kubernetesVersion)) {
      problem(
        'kubernetesVersion',
        `Kubernetes ${
          c.kubernetesVersion
        } is not offered: choose one of ${KUBERNETES_VERSIONS.join(', ')}`,
      );
    }
    if (c.minNodes > c.maxNodes)
      problem(
        'minNodes',
        `minNodes (${c.minNodes}) is above maxNodes (${c.maxNodes}): lower minNodes or raise maxNodes`,
      );
    if (c.desiredNodes < c.minNodes || c.desiredNodes > c.maxNodes) {
      problem(
        'desiredNodes',
        `desiredNodes (${c.desiredNodes}) must lie between minNodes (${c.minNodes}) and maxNodes (${c.maxNodes})`,
      );
    }
    if (!(c.nodeInstanceType in PRICES.ec2InstanceHourly)) {
      problem(
        'nodeInstanceType',
        `unknown instance type ${
          c.nodeInstanceType
        }: choose one of ${Object.keys(PRICES.ec2InstanceHourly).join(', ')}`,
      );
    }
  },
  plan: c => ({
    summary: `EKS ${c.kubernetesVersion}, ${c.desiredNodes} x ${
      c.nodeInstanceType
    } (${c.minNodes}-${c.maxNodes}), ${
      c.publicEndpoint ? 'public' : 'private'
    } endpoint`,
    creates: ['security group', 'EKS cluster', 'managed node group'],
    monthlyCost: cents(
      PRICES.eksClusterHourly * PRICES.hoursPerMonth +
        c.desiredNodes *
          (PRICES.ec2InstanceHourly[c.nodeInstanceType] ?? 0) *
          PRICES.hoursPerMonth,
    ),
  }),
  typicalCreateSeconds: 720,
  catalogType: 'aws-eks-cluster',
  // The node group's bounds change in place (UpdateNodegroupConfig keeps the nodes running).
  changes: {
    // The control plane, then the node group's nodes (replaced respecting disruption budgets).
    kubernetesVersion: { inPlace: true, refuses: kubernetesUpgradeRefusal },
    minNodes: { inPlace: true },
    maxNodes: { inPlace: true },
    desiredNodes: {
      inPlace: false,
      why: 'the node count is moved by the autoscaler between minNodes and maxNodes: change those',
    },
    // EKS chooses a node group's instance types when it creates it: a new node group of the
    // type, then the old one deleted once the new nodes run (its pods drained, respecting
    // their disruption budgets).
    nodeInstanceType: { inPlace: true },
  },
  plannedFacts: c => ({
    'eks.secretsEncrypted': {
      value: c.encryptSecrets,
      field: 'encryptSecrets',
    },
    'eks.logTypes': { value: c.logging, field: 'logging' },
    'eks.endpointPublicAccess': {
      value: c.publicEndpoint,
      field: 'publicEndpoint',
    },
    'eks.version': {
      value: c.kubernetesVersion,
      field: 'kubernetesVersion',
    },
  }),
});
