import { ResponseError } from '@backstage/errors';
import type { ProvisioningEvent } from './events';
import type { CreateRunRequest, ProvisioningRun, RunResource } from './runs';

/** Options of {@link ProvisioningClient}. */
export interface ProvisioningClientOptions {
  /** Resolves the provisioning backend's base URL (Backstage's discovery). */
  discovery: { getBaseUrl(pluginId: string): Promise<string> };
  /** The fetch to use: the frontend's fetchApi (which adds the user's token), or global fetch. */
  fetch?: typeof fetch;
  /** A bearer token per request, for backend callers (service-to-service auth). */
  token?: () => Promise<string | undefined>;
}

/** A typed client of the provisioning backend's API, for frontend and backend callers. */
export class ProvisioningClient {
  constructor(private readonly options: ProvisioningClientOptions) {}

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const base = await this.options.discovery.getBaseUrl('provisioning');
    const token = await this.options.token?.();
    const res = await (this.options.fetch ?? fetch)(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  /** Registers a run (idempotent per task and stack). */
  createRun(request: CreateRunRequest): Promise<ProvisioningRun> {
    return this.request('POST', '/runs', request);
  }

  /** Appends events numbered from the run's cursor on; retried events are skipped by the server. */
  appendEvents(
    runId: string,
    events: ProvisioningEvent[],
  ): Promise<{ cursor: number; appended: number }> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/events`, {
      events,
    });
  }

  getRun(
    runId: string,
  ): Promise<{ run: ProvisioningRun; resources: RunResource[] }> {
    return this.request('GET', `/runs/${encodeURIComponent(runId)}`);
  }

  listRuns(
    query: Record<string, string | number | undefined> = {},
  ): Promise<{ items: ProvisioningRun[]; totalCount: number }> {
    const params = new URLSearchParams(
      Object.entries(query)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    return this.request('GET', `/runs${params.size ? `?${params}` : ''}`);
  }

  /** Cancels a running run (its scaffolder task), as the signed-in user. */
  cancelRun(runId: string): Promise<{ runId: string; taskId: string }> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** Retries a finished run (its scaffolder task resumes from its checkpoints), as the signed-in user. */
  retryRun(runId: string): Promise<{ runId: string; taskId: string }> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/retry`);
  }

  /** Events after `after`; with `waitSeconds`, waits for the next one (long-poll). */
  listEvents(
    runId: string,
    after: number,
    waitSeconds = 0,
  ): Promise<{ events: ProvisioningEvent[]; cursor: number }> {
    return this.request(
      'GET',
      `/runs/${encodeURIComponent(
        runId,
      )}/events?after=${after}&waitSeconds=${waitSeconds}`,
    );
  }
}
