import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { SandboxState } from '../state';
import { AwsCaller, el, isoTime, text, xml } from './protocol';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const PREFIX = '/2013-04-01';

export interface RecordSet {
  name: string;
  type: string;
  ttl?: number;
  values: string[];
}

interface HostedZone {
  id: string;
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  records: RecordSet[];
  changes: Change[];
}

const TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SOA', 'SRV', 'TXT'];

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: name => ['Change', 'ResourceRecord'].includes(name),
});

/** A DNS name as Route 53 keeps it: lower case, with the final dot. */
export const fqdn = (name: string) =>
  `${name.toLowerCase().replace(/\.$/, '')}.`;

/** Route 53's order of names: by their labels from the right (`example.com.` before `a.example.com.`). */
const sortKey = (name: string) => name.split('.').reverse().join('.');
/** Byte order, as Route 53 sorts (not the locale's collation). */
const compare = (a: string, b: string) => {
  if (a === b) return 0;
  return a < b ? -1 : 1;
};
const byName = (a: RecordSet, b: RecordSet) =>
  compare(sortKey(a.name), sortKey(b.name)) || compare(a.type, b.type);

const invalidInput = (message: string) =>
  new ServiceError(400, 'InvalidInput', message);
const invalidBatch = (messages: string[]) =>
  new ServiceError(400, 'InvalidChangeBatch', `[${messages.join(', ')}]`);

const zoneIdOf = (state: SandboxState, name: string) =>
  `Z${createHash('sha256')
    .update(`${name}/${state.next()}`)
    .digest('hex')
    .slice(0, 20)
    .toUpperCase()}`;

/** Checks a domain name as Route 53 does: labels of 1 to 63 characters, 255 in all. */
function domainName(value: string | undefined, what: string) {
  const name = fqdn(value ?? '');
  const labels = name.slice(0, -1).split('.');
  if (
    !value ||
    name.length > 255 ||
    labels.some(l => !l || l.length > 63 || !/^[a-z0-9_*-]+$/.test(l))
  )
    throw new ServiceError(
      400,
      what === 'zone' ? 'InvalidDomainName' : 'InvalidInput',
      `${value ?? ''} is not a valid domain name.`,
    );
  return name;
}

function renderZone(z: HostedZone) {
  return el(
    'HostedZone',
    text('Id', `/hostedzone/${z.id}`) +
      text('Name', z.name) +
      text('CallerReference', z.callerReference) +
      el(
        'Config',
        text('Comment', z.comment) + el('PrivateZone', z.privateZone),
      ) +
      el('ResourceRecordSetCount', z.records.length),
  );
}

function renderRecord(r: RecordSet) {
  return el(
    'ResourceRecordSet',
    text('Name', r.name) +
      text('Type', r.type) +
      el('TTL', r.ttl) +
      el(
        'ResourceRecords',
        r.values.map(v => el('ResourceRecord', text('Value', v))),
      ),
  );
}

/** A change to a zone: PENDING until its records reach every Route 53 name server. */
interface Change {
  id: string;
  submittedAt: number;
  insyncAt: number;
}
/** Changes a zone remembers for GetChange (Route 53 keeps them for a while, not forever). */
const CHANGES_KEPT = 100;

const changeInfo = (c: Change, now = Date.now()) =>
  el(
    'ChangeInfo',
    text('Id', `/change/${c.id}`) +
      text('Status', now >= c.insyncAt ? 'INSYNC' : 'PENDING') +
      text('SubmittedAt', isoTime(c.submittedAt)),
  );

const NAME_SERVERS = ['ns-1.awsdns-01.org.', 'ns-2.awsdns-02.co.uk.'];

/** Adds a hosted zone to `account`, with the NS and SOA records Route 53 gives every zone. */
function putZone(
  state: SandboxState,
  account: string,
  zone: Omit<HostedZone, 'id' | 'records' | 'changes'>,
) {
  const id = zoneIdOf(state, zone.name);
  return state.put<HostedZone>({
    service: 'route53',
    type: 'hosted-zone',
    id,
    account,
    createdAt: Date.now(),
    data: {
      ...zone,
      id,
      changes: [],
      records: [
        { name: zone.name, type: 'NS', ttl: 172800, values: NAME_SERVERS },
        {
          name: zone.name,
          type: 'SOA',
          ttl: 900,
          values: [
            `${NAME_SERVERS[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`,
          ],
        },
      ],
    },
  });
}

/**
 * Makes sure `account` has a public hosted zone named `name` (the sandbox's stand-in for a domain
 * the organisation registered and delegated to Route 53).
 */
export function seedHostedZone(
  state: SandboxState,
  account: string,
  name: string,
) {
  const zone = fqdn(name);
  if (
    !state
      .list<HostedZone>('route53', 'hosted-zone')
      .some(z => z.account === account && z.data.name === zone)
  )
    putZone(state, account, {
      name: zone,
      callerReference: `sandbox-seed-${zone}`,
      privateZone: false,
    });
}

/** The records of every public hosted zone in the sandbox: what the internet resolves. */
export function publicRecords(state: SandboxState): RecordSet[] {
  return state
    .list<HostedZone>('route53', 'hosted-zone')
    .filter(z => !z.data.privateZone)
    .flatMap(z => z.data.records);
}

/** Why a record set is not valid on its own, in Route 53's words. */
function recordProblem(
  action: string,
  r: RecordSet,
  zone: HostedZone,
): string | undefined {
  if (!TYPES.includes(r.type))
    return `Invalid Resource Record: FATAL problem: UnsupportedType encountered with '${r.type}'`;
  if (r.name !== zone.name && !r.name.endsWith(`.${zone.name}`))
    return `RRSet with DNS name ${r.name} is not permitted in zone ${zone.name}`;
  if (r.ttl === undefined || !r.values.length)
    return `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${action}, Name=${r.name}, Type=${r.type}, SetIdentifier=null]`;
  if (r.type === 'CNAME' && r.values.length > 1)
    return `Invalid Resource Record: FATAL problem: RRSet of type CNAME with DNS name ${r.name} has more than one value`;
  if (r.type === 'CNAME' && r.name === zone.name)
    return `RRSet of type CNAME with DNS name ${r.name} is not permitted at apex in zone ${zone.name}`;
  if (r.type === 'TXT') {
    const bad = r.values.find(
      v => !/^(\s*"(?:[^"\\]|\\.){0,255}"\s*)+$/.test(v),
    );
    if (bad !== undefined)
      return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${bad}''`;
  }
  return undefined;
}

const sameValues = (a: RecordSet, b: RecordSet) =>
  a.ttl === b.ttl &&
  a.values.length === b.values.length &&
  a.values.every(v => b.values.includes(v));

/**
 * Applies a change batch to the zone's records, all or nothing, as Route 53 does: CREATE refuses
 * a record set that exists, DELETE one that is missing or whose values differ, and a CNAME may not
 * share its name with another record set.
 */
function applyBatch(zone: HostedZone, changes: any[]): RecordSet[] {
  let records = [...zone.records];
  const problems: string[] = [];
  for (const change of changes) {
    const action = String(change?.Action ?? '');
    const set = change?.ResourceRecordSet ?? {};
    const r: RecordSet = {
      name: domainName(set.Name, 'record'),
      type: String(set.Type ?? ''),
      ttl: set.TTL === undefined ? undefined : Number(set.TTL),
      values: (set.ResourceRecords?.ResourceRecord ?? []).map((v: any) =>
        String(v?.Value ?? ''),
      ),
    };
    const label = `[name='${r.name}', type='${r.type}']`;
    const problem = recordProblem(action, r, zone);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const existing = records.find(x => x.name === r.name && x.type === r.type);
    if (action === 'DELETE') {
      if (!existing)
        problems.push(
          `Tried to delete resource record set ${label} but it was not found`,
        );
      else if (!sameValues(existing, r))
        problems.push(
          `Tried to delete resource record set ${label} but the values provided do not match the current values`,
        );
      else if (['SOA', 'NS'].includes(r.type) && r.name === zone.name)
        problems.push(
          `A HostedZone must contain at least one ${r.type} record for the zone itself.`,
        );
      else records = records.filter(x => x !== existing);
      continue;
    }
    if (action !== 'CREATE' && action !== 'UPSERT')
      throw invalidInput(
        `Invalid XML ; cvc-enumeration-valid: Value '${action}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'.`,
      );
    if (action === 'CREATE' && existing) {
      problems.push(
        `Tried to create resource record set ${label} but it already exists`,
      );
      continue;
    }
    const conflict = records.find(
      x =>
        x.name === r.name &&
        x.type !== r.type &&
        (x.type === 'CNAME' || r.type === 'CNAME'),
    );
    if (conflict) {
      problems.push(
        `RRSet of type ${r.type} with DNS name ${r.name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`,
      );
      continue;
    }
    records = [...records.filter(x => x !== existing), r];
  }
  if (problems.length) throw invalidBatch(problems);
  return records.sort(byName);
}

/** The request body's root element, or Route 53's error for XML it cannot read. */
function body(req: SandboxRequest, root: string): any {
  try {
    const doc = parser.parse(req.body.toString('utf8'));
    if (doc?.[root] && typeof doc[root] === 'object') return doc[root];
  } catch {
    // answered below
  }
  throw invalidInput(`Invalid XML ; the request must be a ${root}.`);
}

/** `maxitems` of a list request: 1 to `max`, `max` when absent. */
function maxItems(req: SandboxRequest, max: number) {
  const raw = req.query.get('maxitems');
  const n = Number(raw ?? max);
  if (!Number.isInteger(n) || n < 1)
    throw invalidInput(
      `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must be a positive integer`,
    );
  return Math.min(n, max);
}

/** The operation a request names, for fault rules. */
export function route53Operation(req: SandboxRequest): string {
  const p = req.path.slice(PREFIX.length);
  if (p === '/hostedzone')
    return req.method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones';
  if (p === '/hostedzonesbyname') return 'ListHostedZonesByName';
  if (/^\/change\/[^/]+$/.test(p)) return 'GetChange';
  if (/^\/hostedzone\/[^/]+\/rrset\/?$/.test(p))
    return req.method === 'POST'
      ? 'ChangeResourceRecordSets'
      : 'ListResourceRecordSets';
  if (/^\/hostedzone\/[^/]+$/.test(p))
    return req.method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone';
  return 'Unknown';
}

/**
 * Route 53 (REST-XML): public and private hosted zones of an account, their record sets changed in
 * atomic batches with Route 53's refusals, and changes that go from PENDING to INSYNC.
 */
export async function handleRoute53(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
): Promise<SandboxResponse> {
  const op = route53Operation(req);
  const segments = req.path.slice(PREFIX.length).split('/');
  const mine = () =>
    ctx.state
      .list<HostedZone>('route53', 'hosted-zone')
      .filter(z => z.account === caller.account);
  const findZone = (id: string) => {
    const z = ctx.state.get<HostedZone>('route53', 'hosted-zone', id);
    if (!z || z.account !== caller.account)
      throw new ServiceError(
        404,
        'NoSuchHostedZone',
        `No hosted zone found with ID: ${id}`,
      );
    return z;
  };
  /** Records a change to `zone`, in sync after the sandbox's `dnsChange` duration. */
  const newChange = (zone: HostedZone): Change => {
    const submittedAt = Date.now();
    const change = {
      id: `C${String(ctx.state.next()).padStart(20, '0')}`,
      submittedAt,
      insyncAt: submittedAt + ctx.durations.dnsChange,
    };
    zone.changes = [...zone.changes, change].slice(-CHANGES_KEPT);
    ctx.state.save();
    return change;
  };

  switch (op) {
    case 'CreateHostedZone': {
      const input = body(req, 'CreateHostedZoneRequest');
      const name = domainName(input.Name, 'zone');
      const callerReference = String(input.CallerReference ?? '');
      if (!callerReference || callerReference.length > 128)
        throw invalidInput('CallerReference must be 1 to 128 characters long.');
      if (mine().some(z => z.data.callerReference === callerReference))
        throw new ServiceError(
          409,
          'HostedZoneAlreadyExists',
          `A hosted zone has already been created with the specified caller reference.`,
        );
      const zone = putZone(ctx.state, caller.account, {
        name,
        callerReference,
        comment: input.HostedZoneConfig?.Comment,
        privateZone: input.VPC !== undefined,
      });
      const id = zone.id;
      const change = newChange(zone.data);
      return {
        ...xml(
          `<CreateHostedZoneResponse xmlns="${NS}">${renderZone(
            zone.data,
          )}${changeInfo(change)}${el(
            'DelegationSet',
            el(
              'NameServers',
              NAME_SERVERS.map(n => text('NameServer', n)),
            ),
          )}</CreateHostedZoneResponse>`,
          201,
        ),
        headers: {
          'content-type': 'text/xml',
          location: `${ctx.url}${PREFIX}/hostedzone/${id}`,
        },
      };
    }

    case 'GetHostedZone': {
      const zone = findZone(segments[2]);
      return xml(
        `<GetHostedZoneResponse xmlns="${NS}">${renderZone(
          zone.data,
        )}</GetHostedZoneResponse>`,
      );
    }

    case 'ListHostedZonesByName': {
      // Zones in order of their reversed labels, from `dnsname` on (not only those named so).
      const dnsName = req.query.get('dnsname');
      const zoneId = req.query.get('hostedzoneid');
      if (zoneId && !dnsName)
        throw invalidInput(
          'The parameter HostedZoneId is only valid when the DNSName parameter is set.',
        );
      const max = maxItems(req, 100);
      const sorted = mine()
        .map(z => z.data)
        .sort(
          (a, b) =>
            compare(sortKey(a.name), sortKey(b.name)) || compare(a.id, b.id),
        );
      const from = dnsName ? sortKey(domainName(dnsName, 'zone')) : '';
      const start = sorted.filter(
        z =>
          sortKey(z.name) > from ||
          (sortKey(z.name) === from && (!zoneId || z.id >= zoneId)),
      );
      const items = start.slice(0, max);
      const next = start[max];
      return xml(
        `<ListHostedZonesByNameResponse xmlns="${NS}">${el(
          'HostedZones',
          items.map(renderZone),
        )}${text('DNSName', dnsName ?? undefined)}${el(
          'IsTruncated',
          !!next,
        )}${text('NextDNSName', next?.name)}${text(
          'NextHostedZoneId',
          next?.id,
        )}${el('MaxItems', max)}</ListHostedZonesByNameResponse>`,
      );
    }

    case 'ChangeResourceRecordSets': {
      const zone = findZone(segments[2]);
      const input = body(req, 'ChangeResourceRecordSetsRequest');
      const changes = input.ChangeBatch?.Changes?.Change ?? [];
      if (!changes.length)
        throw invalidInput('A change batch must contain at least one change.');
      if (changes.length > 1000)
        throw invalidBatch([
          'Number of records limit of 1000 exceeded in change batch.',
        ]);
      zone.data.records = applyBatch(zone.data, changes);
      const change = newChange(zone.data);
      return xml(
        `<ChangeResourceRecordSetsResponse xmlns="${NS}">${changeInfo(
          change,
        )}</ChangeResourceRecordSetsResponse>`,
      );
    }

    case 'ListResourceRecordSets': {
      const zone = findZone(segments[2]);
      const name = req.query.get('name');
      const type = req.query.get('type');
      if (type && !name)
        throw invalidInput(
          'The input is not valid: a record type requires a record name.',
        );
      const max = maxItems(req, 300);
      const from = name ? sortKey(domainName(name, 'record')) : '';
      const start = zone.data.records.filter(
        r =>
          sortKey(r.name) > from ||
          (sortKey(r.name) === from && (!type || r.type >= type)),
      );
      const items = start.slice(0, max);
      const next = start[max];
      return xml(
        `<ListResourceRecordSetsResponse xmlns="${NS}">${el(
          'ResourceRecordSets',
          items.map(renderRecord),
        )}${el('IsTruncated', !!next)}${text(
          'NextRecordName',
          next?.name,
        )}${text('NextRecordType', next?.type)}${el(
          'MaxItems',
          max,
        )}</ListResourceRecordSetsResponse>`,
      );
    }

    case 'GetChange': {
      const change = mine()
        .flatMap(z => z.data.changes)
        .find(c => c.id === segments[2]);
      if (!change)
        throw new ServiceError(
          404,
          'NoSuchChange',
          `A change with the specified change ID does not exist.`,
        );
      return xml(
        `<GetChangeResponse xmlns="${NS}">${changeInfo(
          change,
        )}</GetChangeResponse>`,
      );
    }

    case 'DeleteHostedZone': {
      const zone = findZone(segments[2]);
      if (
        zone.data.records.some(
          r => !(['SOA', 'NS'].includes(r.type) && r.name === zone.data.name),
        )
      )
        throw new ServiceError(
          400,
          'HostedZoneNotEmpty',
          'The specified hosted zone contains non-required resource record sets and so cannot be deleted.',
        );
      ctx.state.remove('route53', 'hosted-zone', zone.id);
      const change = newChange(zone.data);
      return xml(
        `<DeleteHostedZoneResponse xmlns="${NS}">${changeInfo(
          change,
        )}</DeleteHostedZoneResponse>`,
      );
    }

    default:
      throw new ServiceError(
        400,
        'InvalidAction',
        `The sandbox does not emulate Route 53 operation ${req.method} ${req.path}`,
      );
  }
}
