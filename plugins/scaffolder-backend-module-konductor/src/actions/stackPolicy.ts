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
} from '@konductor/plugin-provisioning-common';

/** Where stacks may go: `konductor.provisioning.accounts`. */
export type ProvisioningAccounts = { accountId: string; regions: string[] }[];

/** The lowest compliance level a stack may be checked at, per environment. */
export type MinimumLevels = Partial<
  Record<(typeof ENVIRONMENTS)[number], (typeof COMPLIANCE_LEVELS)[number]>
>;

/**
 * Why the stack's account or region is not one this portal provisions in, if it is not. With no
 * accounts configured nothing may be provisioned: the portal fails closed.
 */
export function locationProblem(
  aws: { accountId: string; region: string },
  accounts: ProvisioningAccounts | undefined,
): string | undefined {
  if (!accounts?.length)
    return 'aws: this portal has no AWS accounts to provision in (konductor.provisioning.accounts is empty): ask a platform admin to configure them';
  const account = accounts.find(a => a.accountId === aws.accountId);
  if (!account)
    return `aws.accountId: ${
      aws.accountId
    } is not an account this portal provisions in (konductor.provisioning.accounts): use ${accounts
      .map(a => a.accountId)
      .join(', ')}`;
  if (!account.regions.includes(aws.region))
    return `aws.region: ${aws.region} is not a region of account ${
      aws.accountId
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
