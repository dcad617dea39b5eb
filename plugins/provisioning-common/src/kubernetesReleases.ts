/**
 * Amazon EKS Kubernetes versions and the end of their standard and extended support, from the
 * Amazon EKS Kubernetes release calendar (docs.aws.amazon.com, "Understand the Kubernetes version
 * lifecycle on EKS"). Update this table when AWS publishes a new version or changes a date.
 */
export const EKS_RELEASES: Record<
  string,
  {
    released: string;
    endOfStandardSupport: string;
    endOfExtendedSupport: string;
  }
> = {
  '1.29': {
    released: '2024-01-23',
    endOfStandardSupport: '2025-03-23',
    endOfExtendedSupport: '2026-03-23',
  },
  '1.30': {
    released: '2024-05-23',
    endOfStandardSupport: '2025-07-23',
    endOfExtendedSupport: '2026-07-23',
  },
  '1.31': {
    released: '2024-09-26',
    endOfStandardSupport: '2025-11-26',
    endOfExtendedSupport: '2026-11-26',
  },
  '1.32': {
    released: '2025-01-23',
    endOfStandardSupport: '2026-03-23',
    endOfExtendedSupport: '2027-03-23',
  },
  '1.33': {
    released: '2025-05-29',
    endOfStandardSupport: '2026-07-29',
    endOfExtendedSupport: '2027-07-29',
  },
  '1.34': {
    released: '2025-10-02',
    endOfStandardSupport: '2026-12-02',
    endOfExtendedSupport: '2027-12-02',
  },
  '1.35': {
    released: '2026-01-27',
    endOfStandardSupport: '2027-03-27',
    endOfExtendedSupport: '2028-03-27',
  },
};

/** The support a version has on `date`: standard, extended, none, or unknown (not in the table). */
export function eksSupportOn(
  version: string,
  date: Date,
): 'standard' | 'extended' | 'none' | 'unknown' {
  const release = EKS_RELEASES[version];
  if (!release) return 'unknown';
  const day = date.toISOString().slice(0, 10);
  if (day < release.endOfStandardSupport) return 'standard';
  if (day < release.endOfExtendedSupport) return 'extended';
  return 'none';
}

const byMinor = (a: string, b: string) =>
  Number(a.split('.')[1]) - Number(b.split('.')[1]);

/**
 * The newest version in standard support on `date`; the newest known when none is (the table is
 * out of date: the compliance checks then say so).
 */
export function newestEksVersion(date: Date): string {
  const versions = Object.keys(EKS_RELEASES).sort(byMinor);
  return (
    versions.filter(v => eksSupportOn(v, date) === 'standard').pop() ??
    versions[versions.length - 1]
  );
}

/**
 * Why EKS cannot take a cluster from `current` to `wanted` in one upgrade (one minor version at a
 * time, never down), or undefined when it can (or there is nothing to do).
 */
export function kubernetesUpgradeRefusal(
  current: string,
  wanted: string,
): string | undefined {
  const [from, to] = [current, wanted].map(v => Number(v.split('.')[1]));
  if (to === from) return undefined;
  if (to < from) return 'EKS does not downgrade a cluster';
  if (to > from + 1)
    return `EKS upgrades one minor version at a time: ask for 1.${
      from + 1
    } first`;
  return undefined;
}
