import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
} from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import {
  COMPLIANCE_LEVELS,
  ENVIRONMENTS,
  StackTarget,
} from '@konductor/plugin-provisioning-common';

/** Where stacks may go: `konductor.provisioning.accounts` (provider default aws). */
export type ProvisioningAccounts = {
  provider?: string;
  accountId: string;
  regions: string[];
}[];

/** The lowest compliance level a stack may be checked at, per environment. */
export type MinimumLevels = Partial<
  Record<(typeof ENVIRONMENTS)[number], (typeof COMPLIANCE_LEVELS)[number]>
>;

/**
 * Why the stack's target (provider, account, region) is not one this portal provisions in, if it
 * is not. With no accounts configured nothing may be provisioned: the portal fails closed.
 */
export function locationProblem(
  target: StackTarget,
  accounts: ProvisioningAccounts | undefined,
): string | undefined {
  const ofProvider = (accounts ?? []).filter(
    a => (a.provider ?? 'aws') === target.provider,
  );
  if (!ofProvider.length)
    return `target: this portal has no ${target.provider} accounts to provision in (konductor.provisioning.accounts): ask a platform admin to configure them`;
  const account = ofProvider.find(a => a.accountId === target.accountId);
  if (!account)
    return `target.accountId: ${
      target.accountId
    } is not an account this portal provisions in on ${
      target.provider
    } (konductor.provisioning.accounts): use ${ofProvider
      .map(a => a.accountId)
      .join(', ')}`;
  if (!account.regions.includes(target.region))
    return `target.region: ${target.region} is not a region of account ${
      target.accountId
    } this portal provisions in: use ${account.regions.join(', ')}`;
  return undefined;
}

/** Why the stack's compliance level is below its environment's minimum, if it is. */
export function levelProblem(
  spec: { environment: string; complianceLevel: string },
  minimum: MinimumLevels,
): string | undefined {
  const floor = minimum[spec.environment as keyof MinimumLevels];
  if (!floor) return undefined;
  const rank = (level: string) =>
    COMPLIANCE_LEVELS.indexOf(level as (typeof COMPLIANCE_LEVELS)[number]);
  if (rank(spec.complianceLevel) >= rank(floor)) return undefined;
  return `complianceLevel: ${
    spec.environment
  } stacks must be checked at ${floor} or above (konductor.compliance.minimumLevels), not ${
    spec.complianceLevel
  }: choose ${COMPLIANCE_LEVELS.slice(rank(floor)).join(' or ')}`;
}

/**
 * The provisioning backend's refusal as the error a task shows: its own message (which names the
 * owner and what to change), with the matching Backstage error.
 */
export function provisioningRefusal(e: unknown): Error {
  if (!(e instanceof ResponseError)) return e as Error;
  const message = e.body.error.message;
  switch (e.statusCode) {
    case 400:
      return new InputError(message);
    case 403:
      return new NotAllowedError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    default:
      return e;
  }
}

/** A record of plain data as a task checkpoint value (checkpoints hold JSON). */
export function toCheckpoint(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value));
}
