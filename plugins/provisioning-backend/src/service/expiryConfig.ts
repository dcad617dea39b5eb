import type { Config } from '@backstage/config';
import type { ExpiryPolicy } from '@konductor/plugin-provisioning-common';

/** The expiry settings (`konductor.provisioning.expiry`), with their defaults. */
export function expiryPolicyFromConfig(config: Config): ExpiryPolicy & {
  intervalSeconds: number;
  destroyTemplate: string;
} {
  const c = config.getOptionalConfig('konductor.provisioning.expiry');
  const maxDays = c?.getOptionalNumber('maxDays') ?? 30;
  const defaultDays = c?.getOptionalNumber('defaultDays');
  if (maxDays <= 0)
    throw new Error(
      `konductor.provisioning.expiry.maxDays: ${maxDays} is not a number of days; give one above 0`,
    );
  if (defaultDays !== undefined && (defaultDays <= 0 || defaultDays > maxDays))
    throw new Error(
      `konductor.provisioning.expiry.defaultDays: ${defaultDays} must be above 0 and at most maxDays (${maxDays})`,
    );
  return {
    maxDays,
    ...(defaultDays !== undefined ? { defaultDays } : {}),
    intervalSeconds: c?.getOptionalNumber('intervalSeconds') ?? 60,
    destroyTemplate:
      c?.getOptionalString('destroyTemplate') ??
      'template:default/destroy-stack',
  };
}
