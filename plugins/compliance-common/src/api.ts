import { ResponseError } from '@backstage/errors';
import type { CheckResult, CheckStatus } from './checks';
import type { Control } from './controls';

/** Counts of results by status. */
export type StatusCounts = Partial<Record<CheckStatus, number>>;

/** The attributes of an evaluated entity that summaries group and filter by. */
export interface EntityAttributes {
  entityRef: string;
  kind: string;
  type?: string;
  owner?: string;
  system?: string;
  environment?: string;
  level: string;
  /** The catalog's etag when evaluated: a changed etag means the entity changed. */
  etag?: string;
}

/** A stored result, with the last result that was not an error. */
export interface StoredResult extends CheckResult {
  evaluatedAt: string;
  lastKnown?: { status: CheckStatus; message: string; evaluatedAt: string };
}

/** An entity's status: score (passed or waived of the checks that count), counts, results. */
export interface EntityStatus extends EntityAttributes {
  score: number | null;
  counts: StatusCounts;
  evaluatedAt: string;
  results: StoredResult[];
}

/**
 * A check waived for an entity until it expires. It is requested by one of the entity's owners
 * and waives the check only once approved, by someone else than the requester.
 */
export interface Exemption {
  id: string;
  entityRef: string;
  checkId: string;
  justification: string;
  expiresAt: string;
  /** Only an approved one waives its check; a rejected one stays, with why, until it expires. */
  status: 'requested' | 'approved' | 'rejected';
  /** Who requested it. */
  createdBy: string;
  createdAt: string;
  approvedBy?: string;
  approvedAt?: string;
  /** The approver's words to the requester, when they said something. */
  approvalComment?: string;
  rejectedBy?: string;
  rejectedAt?: string;
  /** The rejecter's words to the requester. */
  rejectionComment?: string;
}

export interface HistoryPoint {
  checkId?: string;
  status?: CheckStatus;
  score?: number;
  at: string;
}

/** Filters of summaries, lists and exports. */
export interface EntityFilter {
  owner?: string;
  system?: string;
  environment?: string;
  kind?: string;
  level?: string;
}

export type SummaryGroupBy =
  | 'owner'
  | 'system'
  | 'environment'
  | 'control'
  | 'check';

export interface SummaryGroup {
  key: string;
  title?: string;
  family?: string;
  entities: number;
  counts: StatusCounts;
  score: number | null;
  /** With `by`: the group's counts per owner, system or environment. */
  cells?: Record<string, { counts: StatusCounts; score: number | null }>;
}

/** A typed client of the compliance backend, for the frontend and other backends. */
export class ComplianceClient {
  constructor(
    private readonly options: {
      discovery: { getBaseUrl(pluginId: string): Promise<string> };
      fetch?: typeof fetch;
    },
  ) {}

  /** The backend's URL of `path` (for links such as the CSV export). */
  async url(path: string, query: object = {}): Promise<string> {
    const params = new URLSearchParams(
      Object.entries(query)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => [k, String(v)]),
    );
    return `${await this.options.discovery.getBaseUrl('compliance')}${path}${
      params.size ? `?${params}` : ''
    }`;
  }

  private async request<T>(
    method: string,
    path: string,
    query?: object,
    body?: unknown,
  ): Promise<T> {
    const res = await (this.options.fetch ?? fetch)(
      await this.url(path, query),
      {
        method,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  private static path(entityRef: string) {
    const [, kind, namespace, name] = /^([^:]+):(?:([^/]+)\/)?(.+)$/.exec(
      entityRef,
    )!;
    return `/entities/${encodeURIComponent(
      kind.toLocaleLowerCase('en-US'),
    )}/${encodeURIComponent(namespace ?? 'default')}/${encodeURIComponent(
      name,
    )}`;
  }

  getEntity(
    entityRef: string,
  ): Promise<
    EntityStatus & { history: HistoryPoint[]; exemptions: Exemption[] }
  > {
    return this.request('GET', ComplianceClient.path(entityRef));
  }

  evaluate(entityRef: string): Promise<EntityStatus> {
    return this.request('POST', `${ComplianceClient.path(entityRef)}/evaluate`);
  }

  /**
   * A page of the entities the caller may read, worst score first (`limit` up to 500, default
   * 100), with how many match and the posture of all of them.
   */
  listEntities(
    filter: EntityFilter & { limit?: number; offset?: number } = {},
  ): Promise<{
    items: (EntityAttributes & {
      score: number | null;
      counts: StatusCounts;
    })[];
    totalCount: number;
    /** Check counts and the average entity score over every matching entity. */
    posture: { counts: StatusCounts; score: number | null };
  }> {
    return this.request('GET', '/entities', filter);
  }

  /** The values each filter can take, over the entities the caller may read. */
  facets(): Promise<
    Record<'owner' | 'system' | 'environment' | 'kind' | 'level', string[]>
  > {
    return this.request('GET', '/facets');
  }

  summary(
    groupBy: SummaryGroupBy,
    filter: EntityFilter & { by?: 'owner' | 'system' | 'environment' } = {},
  ): Promise<{ groupBy: SummaryGroupBy; groups: SummaryGroup[] }> {
    return this.request('GET', '/summary', { groupBy, ...filter });
  }

  /** The average entity score at the end of each of the last `days` days. */
  trend(
    filter: EntityFilter & { days?: number } = {},
  ): Promise<{ points: { at: string; score: number; entities: number }[] }> {
    return this.request('GET', '/trend', filter);
  }

  /**
   * The filtered results as a file: `csv`, one row per entity and check; `oscal`, an OSCAL
   * assessment-results JSON document.
   */
  async exportResults(
    format: 'csv' | 'oscal',
    filter: EntityFilter = {},
  ): Promise<Blob> {
    const res = await (this.options.fetch ?? fetch)(
      await this.url(
        format === 'csv' ? '/export.csv' : '/export.oscal.json',
        filter,
      ),
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.blob();
  }

  controls(): Promise<{
    controls: Control[];
    checks: {
      id: string;
      title: string;
      controls: string[];
      remediation: string;
    }[];
  }> {
    return this.request('GET', '/controls');
  }

  /** Every exemption of the entities the caller may read, oldest first. */
  listExemptions(): Promise<{ items: Exemption[] }> {
    return this.request('GET', '/exemptions');
  }

  createExemption(
    exemption: Pick<
      Exemption,
      'entityRef' | 'checkId' | 'justification' | 'expiresAt'
    >,
  ): Promise<Exemption> {
    return this.request('POST', '/exemptions', undefined, exemption);
  }

  /**
   * Approves a requested exemption (not one's own request), with words for its requester if
   * any; it waives its check from then on.
   */
  approveExemption(id: string, comment?: string): Promise<Exemption> {
    return this.request(
      'POST',
      `/exemptions/${encodeURIComponent(id)}/approve`,
      undefined,
      comment?.trim() ? { comment } : {},
    );
  }

  /** Rejects a requested exemption (not one's own request), saying why to its requester. */
  rejectExemption(id: string, comment: string): Promise<Exemption> {
    return this.request(
      'POST',
      `/exemptions/${encodeURIComponent(id)}/reject`,
      undefined,
      { comment },
    );
  }

  deleteExemption(id: string): Promise<void> {
    return this.request('DELETE', `/exemptions/${encodeURIComponent(id)}`);
  }
}
