import { useMemo } from 'react';
import Box from '@mui/material/Box';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { FixedRunFilter, RunsTable } from './RunsTable';
import { stackKeyOf } from './entityStack';

/**
 * Whose runs an entity's page lists: a template's, the tasks it started; a service definition's,
 * those of the Template generated from it (same namespace and name); an entity of a stack (a
 * generated component naming its stack, or the stack's System and Resources, which the catalog
 * makes from its runs), that stack's; anything else, the runs recorded for it.
 */
export function runsFilterOf(entity: Entity): FixedRunFilter {
  const ref = stringifyEntityRef(entity);
  const kind = entity.kind.toLowerCase();
  if (kind === 'template') return { templateRef: ref };
  if (kind === 'servicedefinition')
    return {
      templateRef: stringifyEntityRef({ ...entity.metadata, kind: 'Template' }),
    };
  return stackKeyOf(entity) ?? { entityRef: ref };
}

/** The entity page's "Provisioning" tab: the runs of this entity (see {@link runsFilterOf}). */
export function EntityRunsContent() {
  const { entity } = useEntity();
  const fixed = useMemo(() => runsFilterOf(entity), [entity]);
  return (
    <Box sx={{ p: 1 }}>
      <RunsTable fixed={fixed} />
    </Box>
  );
}
