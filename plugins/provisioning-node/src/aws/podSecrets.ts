import { parse } from 'yaml';
import {
  CreateAddonCommand,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import type { RemovalResult, ResourceContext } from '../provider';
import { waitForResource } from '../waitFor';
import { adopt, keepReason, stackTags } from './ownership';

/**
 * The EKS add-ons that bring Secrets Manager values into a stack's pods without the portal
 * reaching its cluster, with the configuration Konductor installs them with: the Pod Identity
 * agent (pods get the IAM role of their service account's association) and the Secrets Store CSI
 * driver with AWS's provider, its Secret sync on (the app's env reads a Kubernetes Secret) and its
 * rotation on.
 */
const SYNC_KEY = 'secrets-store-csi-driver';
const ADDONS: Record<string, string | undefined> = {
  'eks-pod-identity-agent': undefined,
  // Rotation on: a rotated secret reaches the mounted files and the synced Secret at the driver's
  // next poll (two minutes), without a redeploy.
  'aws-secrets-store-csi-driver-provider': JSON.stringify({
    [SYNC_KEY]: { syncSecret: { enabled: true }, enableSecretRotation: true },
  }),
};

/**
 * Whether the CSI add-on's configuration syncs Secrets: EKS takes it as JSON or YAML, and an
 * add-on the platform installed may hold either.
 */
function syncsSecrets(configurationValues: string | undefined): boolean {
  try {
    return (
      parse(configurationValues ?? '{}')?.[SYNC_KEY]?.syncSecret?.enabled ===
      true
    );
  } catch {
    return false;
  }
}

const errorName = (e: unknown) => (e as Error).name;

/**
 * Lets the app's pods read its secrets in the stack's cluster, through EKS alone: the two add-ons
 * (installed, or found installed as they must be: an add-on someone else configured is left as it
 * is), waited for until ACTIVE, and the Pod Identity association of the app's service account
 * with the platform's role (adopted when it is this stack's and names that role).
 */
export async function ensurePodSecrets(
  ctx: ResourceContext,
  eks: EKSClient,
  options: { roleArn: string; serviceAccount: string; pollIntervalMs: number },
): Promise<void> {
  const clusterName = ctx.stackId;
  for (const [addonName, configurationValues] of Object.entries(ADDONS)) {
    const created = await eks
      .send(
        new CreateAddonCommand({
          clusterName,
          addonName,
          configurationValues,
          tags: stackTags(ctx),
        }),
      )
      .catch(e => {
        if (errorName(e) !== 'ResourceInUseException') throw e;
        return undefined;
      });
    if (created || !configurationValues) continue;
    const { addon } = await eks.send(
      new DescribeAddonCommand({ clusterName, addonName }),
    );
    if (!syncsSecrets(addon?.configurationValues))
      throw new Error(
        `The cluster ${clusterName} already has the ${addonName} add-on, configured without Secret sync, so the app's Secret would never be written. Konductor leaves an add-on it did not configure as it is: set its configuration value ${SYNC_KEY}.syncSecret.enabled to true, or remove the add-on and run again`,
      );
  }
  await waitForResource(
    ctx,
    options.pollIntervalMs,
    'the cluster add-ons for secrets',
    async () => {
      const states: string[] = [];
      for (const addonName of Object.keys(ADDONS)) {
        const { addon } = await eks.send(
          new DescribeAddonCommand({ clusterName, addonName }),
        );
        const status = addon?.status ?? 'UNKNOWN';
        if (/FAILED|DEGRADED/.test(status))
          throw new Error(
            `EKS add-on ${addonName} on ${clusterName} is ${status}: ${
              (addon?.health?.issues ?? [])
                .map(i => `${i.code}: ${i.message}`)
                .join('; ') || 'no reason given'
            }`,
          );
        if (status !== 'ACTIVE') states.push(`${addonName} ${status}`);
      }
      return states.length ? { state: states.join(', ') } : { done: true };
    },
  );

  const existing = await association(ctx, eks, options.serviceAccount);
  if (existing) {
    adopt(
      ctx,
      `Pod Identity association of service account ${options.serviceAccount}`,
      existing.tags ?? {},
    );
    if (existing.roleArn !== options.roleArn)
      throw new Error(
        `The Pod Identity association of service account ${ctx.stackId}/${options.serviceAccount} gives it the role ${existing.roleArn}, not the platform's ${options.roleArn}: delete it (aws eks delete-pod-identity-association) and run again`,
      );
    return;
  }
  await eks.send(
    new CreatePodIdentityAssociationCommand({
      clusterName,
      namespace: ctx.stackId,
      serviceAccount: options.serviceAccount,
      roleArn: options.roleArn,
      tags: stackTags(ctx),
    }),
  );
}

/** The Pod Identity association of `serviceAccount` in the stack's namespace, described. */
async function association(
  ctx: ResourceContext,
  eks: EKSClient,
  serviceAccount: string,
) {
  const { associations = [] } = await eks.send(
    new ListPodIdentityAssociationsCommand({
      clusterName: ctx.stackId,
      namespace: ctx.stackId,
      serviceAccount,
    }),
  );
  if (!associations.length) return undefined;
  return (
    await eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: ctx.stackId,
        associationId: associations[0].associationId,
      }),
    )
  ).association;
}

/**
 * Deletes the app's Pod Identity association when the removal may (its cluster may stay); the
 * add-ons stay until the cluster goes.
 */
export async function removePodSecrets(
  ctx: ResourceContext,
  eks: EKSClient,
  serviceAccount: string,
): Promise<RemovalResult> {
  const found = await association(ctx, eks, serviceAccount).catch(e => {
    // The cluster went first: nothing of it is left to remove.
    if (errorName(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  });
  if (!found) return { kept: [] };
  const what = `Pod Identity association ${found.associationId}`;
  const reason = keepReason(found.tags ?? {}, ctx);
  if (reason) return { kept: [`${what}: ${reason}`] };
  await eks.send(
    new DeletePodIdentityAssociationCommand({
      clusterName: ctx.stackId,
      associationId: found.associationId,
    }),
  );
  return { kept: [] };
}
