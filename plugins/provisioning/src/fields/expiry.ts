import type { ExpiryPolicy } from '@konductor/plugin-provisioning-common';

/** The platform's expiry settings as the frontend reads them (`konductor.provisioning.expiry`). */
export function expiryPolicyOf(config: {
  getOptionalNumber(key: string): number | undefined;
}): ExpiryPolicy {
  const defaultDays = config.getOptionalNumber(
    'konductor.provisioning.expiry.defaultDays',
  );
  return {
    maxDays:
      config.getOptionalNumber('konductor.provisioning.expiry.maxDays') ?? 30,
    ...(defaultDays !== undefined ? { defaultDays } : {}),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO date-time as a `datetime-local` input shows it: the browser's local time, to the second. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` input's value (local time) as an ISO date-time; undefined when empty. */
export function fromLocalInput(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
