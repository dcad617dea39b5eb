import { useCallback, useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { complianceApiRef } from '../api';

type Status = Awaited<
  ReturnType<
    import('@konductor/plugin-compliance-common').ComplianceClient['getEntity']
  >
>;

/**
 * The current entity's compliance status. An entity not evaluated yet (404) is `missing`, with
 * `evaluate` to evaluate it now.
 */
export function useEntityCompliance() {
  const api = useApi(complianceApiRef);
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  const [state, setState] = useState<{
    status?: Status;
    missing?: boolean;
    error?: Error;
    loading: boolean;
  }>({ loading: true });

  const load = useCallback(async () => {
    try {
      setState({ status: await api.getEntity(ref), loading: false });
    } catch (e: any) {
      if (e?.response?.status === 404)
        setState({ missing: true, loading: false });
      else setState({ error: e, loading: false });
    }
  }, [api, ref]);

  useEffect(() => {
    load();
  }, [load]);

  const evaluate = useCallback(async () => {
    setState(s => ({ ...s, loading: true }));
    try {
      await api.evaluate(ref);
      await load();
    } catch (e: any) {
      setState({ error: e, loading: false });
    }
  }, [api, ref, load]);

  return { ...state, ref, evaluate, reload: load };
}
