import { createHash } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
} from '../../types';
import { phaseOf, SandboxResource } from '../../state';
import {
  AwsCaller,
  el,
  listMembers,
  listValues,
  queryParams,
  xml,
} from '../protocol';
import {
  Vpc,
  Subnet,
  InternetGateway,
  ElasticIp,
  NatGateway,
  RouteTable,
  SecurityGroup,
  NS,
} from './model';

type Params = Map<string, string>;

/**
 * One EC2 request as the operations see it: its parameters and action, the caller's account and
 * region, and the caller's resources of each type.
 */
export function ec2Call(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation: boolean,
) {
  const params = queryParams(req);
  const action = params.get('Action') ?? '';
  const scope = { account: caller.account, region: caller.region };
  const inScope = (r: SandboxResource) =>
    r.account === caller.account && r.region === caller.region;
  const vpcs = () => ctx.state.list<Vpc>('ec2', 'vpc').filter(inScope);
  const subnets = () => ctx.state.list<Subnet>('ec2', 'subnet').filter(inScope);
  const groups = () =>
    ctx.state.list<SecurityGroup>('ec2', 'security-group').filter(inScope);
  /** Stores a new EC2 resource of the caller's account and region. */
  const save = <T>(type: string, id: string, data: T) =>
    ctx.state.put<T>({
      service: 'ec2',
      type,
      id,
      ...scope,
      createdAt: Date.now(),
      data,
    });
  const igws = () =>
    ctx.state.list<InternetGateway>('ec2', 'internet-gateway').filter(inScope);
  const eips = () =>
    ctx.state.list<ElasticIp>('ec2', 'elastic-ip').filter(inScope);
  const nats = () =>
    ctx.state.list<NatGateway>('ec2', 'nat-gateway').filter(inScope);
  const routeTables = () =>
    ctx.state.list<RouteTable>('ec2', 'route-table').filter(inScope);
  const liveNats = () => nats().filter(r => phaseOf(r) !== 'deleting');
  const findIn = <T>(
    list: SandboxResource<T>[],
    id: string,
    code: string,
    what: string,
  ) => {
    const r = list.find(x => x.id === id);
    if (!r)
      throw new ServiceError(400, code, `The ${what} '${id}' does not exist`);
    return r;
  };
  const findVpc = (id: string) => {
    const r = ctx.state.get<Vpc>('ec2', 'vpc', id);
    if (!r || !inScope(r))
      throw new ServiceError(
        400,
        'InvalidVpcID.NotFound',
        `The vpc ID '${id}' does not exist`,
      );
    return r;
  };
  return {
    params,
    action,
    scope,
    inScope,
    vpcs,
    subnets,
    groups,
    save,
    igws,
    eips,
    nats,
    routeTables,
    liveNats,
    findIn,
    findVpc,
    ctx,
    caller,
    req,
    failLongOperation,
  };
}

export type Ec2Call = ReturnType<typeof ec2Call>;

/** Operations by action name. */
export type Ec2Handlers = Record<string, (call: Ec2Call) => SandboxResponse>;

export const response = (action: string, body: string) =>
  xml(
    `<${action}Response xmlns="${NS}"><requestId>${hexId(
      8,
    )}-sandbox</requestId>${body}</${action}Response>`,
  );

// ---- filters ---------------------------------------------------------------------------

/**
 * The filters a resource type supports and this resource's values for them: a filter the type
 * supports but this resource has no value for (a detached gateway's `attachment.vpc-id`) is
 * `undefined` and matches nothing; a filter the type does not support is refused.
 */
export type FilterFields = Record<string, string | string[] | undefined>;

/** Applies `Filter.N.Name`/`Filter.N.Value.N` to resources described by `fields`. */
export function matchesFilters(
  params: Params,
  tags: Record<string, string>,
  fields: FilterFields,
) {
  for (const f of listMembers(params, 'Filter')) {
    const name = f.get('Name') ?? '';
    const values = [...f.entries()]
      .filter(([k]) => k.startsWith('Value.'))
      .map(([, v]) => v);
    let actual: string[];
    if (name.startsWith('tag:'))
      actual = name.slice(4) in tags ? [tags[name.slice(4)]] : [];
    else if (name === 'tag-key') actual = Object.keys(tags);
    else if (name in fields) actual = [fields[name] ?? []].flat();
    else
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `The filter '${name}' is invalid`,
      );
    const patterns = values.map(filterPattern);
    if (!actual.some(a => patterns.some(p => p.test(a)))) return false;
  }
  return true;
}

/**
 * A filter value as EC2 matches it: case-sensitive, `*` for any characters and `?` for one, a
 * backslash making the next character literal (`\*amazon\?\\` is the string `*amazon?\`).
 */
function filterPattern(value: string): RegExp {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let source = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) source += literal(value[++i]);
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += literal(c);
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * What a Describe call selects: the resources named by `<idParam>.N` (each must exist, or
 * `notFound` is thrown) or all of them, narrowed by the request's filters.
 */
export function describeSelection<T extends { tags: Record<string, string> }>(
  params: Params,
  idParam: string,
  all: SandboxResource<T>[],
  notFound: (id: string) => ServiceError,
  fields: (r: SandboxResource<T>) => FilterFields,
): SandboxResource<T>[] {
  const ids = listValues(params, idParam);
  const missing = ids.find(id => !all.some(r => r.id === id));
  if (missing) throw notFound(missing);
  return all.filter(
    r =>
      (!ids.length || ids.includes(r.id)) &&
      matchesFilters(params, r.data.tags, fields(r)),
  );
}

const hashOf = (text: string) =>
  createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * One page of a Describe call's results: at most `MaxResults` (between `min` and `max`; all of
 * them without it), from where `NextToken` says; `more` is the response's `<nextToken>` element
 * when results remain, else ''. Tokens are opaque and tied to the call's filters.
 */
export function describePage<T>(
  params: Params,
  items: T[],
  limits: { min: number; max: number } = { min: 5, max: 1000 },
): { items: T[]; more: string } {
  const raw = params.get('MaxResults');
  const max = raw === undefined ? undefined : Number(raw);
  if (
    max !== undefined &&
    !(Number.isInteger(max) && max >= limits.min && max <= limits.max)
  )
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  const filters = JSON.stringify(
    [...params].filter(([k]) => k.startsWith('Filter.')).sort(),
  );
  let start = 0;
  const token = params.get('NextToken');
  if (token !== undefined) {
    const [offset, hash] = Buffer.from(token, 'base64url')
      .toString('utf8')
      .split('|');
    if (hash !== hashOf(filters) || !/^\d+$/.test(offset ?? ''))
      throw new ServiceError(
        400,
        'InvalidPaginationToken',
        'The specified pagination token is not valid or is expired.',
      );
    start = Number(offset);
  }
  const end = max === undefined ? items.length : start + max;
  return {
    items: items.slice(start, end),
    more:
      end < items.length
        ? el(
            'nextToken',
            Buffer.from(`${end}|${hashOf(filters)}`).toString('base64url'),
          )
        : '',
  };
}

export function tagSpecs(params: Params, resourceType: string) {
  const tags: Record<string, string> = {};
  for (const spec of listMembers(params, 'TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue;
    for (const [k, v] of spec) {
      const m = /^Tag\.(\d+)\.Key$/.exec(k);
      if (m) tags[v] = spec.get(`Tag.${m[1]}.Value`) ?? '';
    }
  }
  return withTags({}, tags);
}

/**
 * A resource's tags with `added`, within EC2's limits: at most 50 per resource, keys of 1 to 128
 * characters not starting with `aws:` (AWS's own), values of at most 256.
 */
export function withTags(
  existing: Record<string, string>,
  added: Record<string, string>,
) {
  for (const [key, value] of Object.entries(added)) {
    if (!key.length || key.length > 128)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Tag key must be between 1 and 128 characters: '${key.slice(0, 128)}'`,
      );
    if (key.toLowerCase().startsWith('aws:'))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        "Tag keys starting with 'aws:' are reserved for internal use",
      );
    if (value.length > 256)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Tag value exceeds the maximum length of 256 characters (key '${key}')`,
      );
  }
  const tags = { ...existing, ...added };
  if (Object.keys(tags).length > 50)
    throw new ServiceError(
      400,
      'TagLimitExceeded',
      'The maximum number of Tags for a resource has been reached.',
    );
  return tags;
}

/** RDS instances, subnet groups and EKS clusters that use a subnet or security group. */
export function dependentsOfNetworkResource(
  ctx: SandboxContext,
  id: string,
): SandboxResource[] {
  const uses = (r: SandboxResource) =>
    JSON.stringify(r.data).includes(`"${id}"`);
  return [
    ...ctx.state
      .list('ec2', 'nat-gateway')
      .filter(r => phaseOf(r) !== 'deleting'),
    ...ctx.state.list('rds', 'db-instance'),
    ...ctx.state.list('rds', 'db-subnet-group'),
    ...ctx.state.list('elasticache', 'replication-group'),
    ...ctx.state.list('elasticache', 'cache-subnet-group'),
    ...ctx.state.list('eks', 'cluster'),
    ...ctx.state.list('eks', 'nodegroup'),
  ].filter(uses);
}
