import type {
  DriftReport,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import type { CloudProvider } from './provider';
import { resourceContext, stackIdOf } from './stackRun';

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares every resource of a stack's desired state with what its cloud has now, one read per
 * resource (its handler's `observe`): which attributes differ, what is gone or no longer the
 * stack's and owner's, and which kinds read nothing back. Reads only: nothing is changed.
 */
export async function scanDrift(options: {
  spec: StackSpec;
  version: number;
  provider: CloudProvider;
  signal?: AbortSignal;
  now?: () => Date;
}): Promise<DriftReport> {
  const { spec, provider } = options;
  const signal = options.signal ?? new AbortController().signal;
  const resources = await Promise.all(
    Object.entries(spec.resources).map(async ([name, resource]) => {
      const ctx = resourceContext(
        { spec, runId: `drift-${stackIdOf(spec)}` },
        name,
        { signal, outputs: {}, progress: () => {} },
      );
      const base = { resource: name, kind: resource.kind, attributes: [] };
      try {
        const observed = await provider.observe?.(ctx);
        if (!observed)
          return {
            ...base,
            state: 'unchecked' as const,
            detail: `Konductor does not read back a ${resource.kind} resource yet`,
          };
        if (!observed.exists)
          return {
            ...base,
            state: 'missing' as const,
            detail: observed.detail,
          };
        const attributes = Object.entries(observed.attributes)
          .filter(([field, actual]) => !same(resource[field], actual))
          .map(([field, actual]) => ({
            field,
            desired: resource[field],
            actual,
          }));
        return {
          ...base,
          attributes,
          state: attributes.length
            ? ('drifted' as const)
            : ('in-sync' as const),
        };
      } catch (e) {
        return {
          ...base,
          state: 'unchecked' as const,
          detail: `Could not be read: ${(e as Error).message}`,
        };
      }
    }),
  );
  return {
    version: options.version,
    scannedAt: (options.now?.() ?? new Date()).toISOString(),
    resources,
  };
}
