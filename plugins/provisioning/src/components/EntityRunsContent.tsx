import { useMemo } from 'react';
import Box from '@mui/material/Box';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_STACK,
  ANNOTATION_STACK_REF,
} from '@konductor/plugin-provisioning-common';
import { FixedRunFilter, RunsTable } from './RunsTable';

/**
 * Whose runs an entity's page lists: a template's, the tasks it started; an entity of a stack (a
 * generated component naming its stack, or the stack's System and Resources, which the catalog
 * makes from its runs), that stack's; anything else, the runs recorded for it.
 */
export function runsFilterOf(entity: Entity): FixedRunFilter {
  const ref = stringifyEntityRef(entity);
  if (entity.kind.toLowerCase() === 'template') return { templateRef: ref };
  const annotations = entity.metadata.annotations ?? {};
  const stackRef = annotations[ANNOTATION_STACK_REF]?.split('/');
  if (stackRef?.length === 3) {
    const [accountId, region, stackId] = stackRef;
    return { accountId, region, stackId };
  }
  const [stackId, accountId, region] = [
    annotations[ANNOTATION_STACK],
    annotations[ANNOTATION_AWS_ACCOUNT],
    annotations[ANNOTATION_AWS_REGION],
  ];
  if (stackId && accountId && region) return { accountId, region, stackId };
  return { entityRef: ref };
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
