import type { Knex } from 'knex';
import type { PermissionCriteria } from '@backstage/plugin-permission-common';
import type { StackPermissionQuery } from '@konductor/plugin-provisioning-node';

/**
 * Narrows a query of runs or stacks (both have `owner` and `environment` columns) to the rows a
 * conditional permission decision allows.
 */
export function whereCriteria(
  builder: Knex.QueryBuilder,
  criteria: PermissionCriteria<StackPermissionQuery>,
): void {
  if ('allOf' in criteria) {
    builder.where(b => {
      for (const c of criteria.allOf)
        b.andWhere(inner => whereCriteria(inner, c));
    });
  } else if ('anyOf' in criteria) {
    builder.where(b => {
      for (const c of criteria.anyOf)
        b.orWhere(inner => whereCriteria(inner, c));
    });
  } else if ('not' in criteria) {
    builder.whereNot(b => whereCriteria(b, criteria.not));
  } else if (criteria.values.length) {
    builder.whereIn(criteria.column, criteria.values);
  } else {
    // An empty claim list matches nothing.
    builder.whereRaw('1 = 0');
  }
}
