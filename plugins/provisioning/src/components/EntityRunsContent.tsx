import { useMemo } from 'react';
import Box from '@mui/material/Box';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { RunsTable } from './RunsTable';

/**
 * The entity page's "Provisioning" tab: the runs of this entity, or, on a template's page, the
 * runs its tasks started.
 */
export function EntityRunsContent() {
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  const fixed = useMemo(
    () =>
      entity.kind.toLowerCase() === 'template'
        ? { templateRef: ref }
        : { entityRef: ref },
    [entity.kind, ref],
  );
  return (
    <Box sx={{ p: 1 }}>
      <RunsTable fixed={fixed} />
    </Box>
  );
}
