import { createHash } from 'node:crypto';
import { ServiceError } from '../types';
import { listMembers, listValues } from './protocol';

type Params = Map<string, string>;

/**
 * RDS Describe filters (`Filters.Filter.N.Name`, `Filters.Filter.N.Values.Value.N`) as
 * DescribeDBInstances documents them: each resource gives its values per supported filter name
 * (none: the filter matches nothing, as `db-cluster-id` for an instance outside any cluster); an
 * unsupported name is `InvalidParameterValue`, a filter without values
 * `InvalidParameterCombination` (moto's RDS tests expect the same).
 */
export function rdsFilter<T>(
  params: Params,
  items: T[],
  fields: (item: T) => Record<string, string[]>,
  supported: string[],
): T[] {
  const filters = listMembers(params, 'Filters').map(m => ({
    name: m.get('Name') ?? '',
    values: listValues(m, 'Values'),
  }));
  for (const f of filters) {
    if (!supported.includes(f.name))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Unrecognized filter name: ${f.name}`,
      );
    if (!f.values.length)
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        `The list of values for filter ${f.name} must not be empty.`,
      );
  }
  return items.filter(item => {
    const values = fields(item);
    return filters.every(f =>
      f.values.some(v =>
        (values[f.name] ?? []).some(
          mine => mine.toLowerCase() === v.toLowerCase(),
        ),
      ),
    );
  });
}

const hashOf = (text: string) =>
  createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * One page of an RDS Describe call: `MaxRecords` between 20 and 100 (default 100), and a `Marker`
 * for the rest. A marker is opaque and belongs to the call that returned it: one from a call with
 * other filters, or not RDS's, is refused.
 */
export function rdsPage<T>(
  params: Params,
  items: T[],
): { items: T[]; marker?: string } {
  const raw = params.get('MaxRecords');
  const max = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(max) || max < 20 || max > 100)
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      `Invalid value ${raw} for MaxRecords. Must be between 20 and 100`,
    );
  const call = hashOf(
    JSON.stringify(
      [...params]
        .filter(([k]) => !['Marker', 'MaxRecords', 'Version'].includes(k))
        .sort(),
    ),
  );
  let start = 0;
  const marker = params.get('Marker');
  if (marker !== undefined) {
    const [offset, hash] = Buffer.from(marker, 'base64url')
      .toString('utf8')
      .split('|');
    if (hash !== call || !/^\d+$/.test(offset ?? ''))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `The parameter Marker is not valid: ${marker}`,
      );
    start = Number(offset);
  }
  const end = start + max;
  return {
    items: items.slice(start, end),
    marker:
      end < items.length
        ? Buffer.from(`${end}|${call}`).toString('base64url')
        : undefined,
  };
}
