import type { BudgetLimits, TeamBudget } from './budgets';
import type { ChangeWindow, ChangeWindowDeclaration } from './changeWindows';
import type {
  ApprovalDecision,
  ApprovalListItem,
  ApprovalOpenRequest,
  ApprovalOpenResult,
  ApprovalRequest,
  ApprovalState,
} from './approvals';
import { ResponseError } from '@backstage/errors';
import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { ProvisioningEvent } from './events';
import type {
  DefinitionPublication,
  PublishRequest,
  PublishResult,
} from './publications';
import type { CreateRunRequest, ProvisioningRun, RunDetails } from './runs';
import type { StackVersionList } from './versions';
import type { DesiredStackStateList, DriftReport, StackDrift } from './drift';
import type { StackExpiryRequest } from './expiry';
import type { StackInventory, StackInventoryQuery } from './inventory';
import type {
  ProvisioningStack,
  StackAvailability,
  StackClaimRequest,
  StackDelivery,
  StackKey,
  StackLease,
  StackLeaseRequest,
} from './stacks';

function queryString(query: Record<string, string | number | undefined>) {
  const params = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
  return params.size ? `?${params}` : '';
}

const stackPath = (key: StackKey) =>
  `/stacks/${[key.accountId, key.region, key.stackId]
    .map(encodeURIComponent)
    .join('/')}`;

/** Options of {@link ProvisioningClient}. */
export interface ProvisioningClientOptions {
  /** Resolves the provisioning backend's base URL (Backstage's discovery). */
  discovery: { getBaseUrl(pluginId: string): Promise<string> };
  /** The fetch to use: the frontend's fetchApi (which adds the user's token), or global fetch. */
  fetch?: typeof fetch;
  /** A bearer token per request, for backend callers (service-to-service auth). */
  token?: () => Promise<string | undefined>;
}

/**
 * A typed client of the provisioning backend's API, and of Konductor's routes in the catalog
 * (publishing definitions), for frontend and backend callers.
 */
export class ProvisioningClient {
  constructor(private readonly options: ProvisioningClientOptions) {}

  private async send(
    method: string,
    path: string,
    body?: unknown,
    pluginId = 'provisioning',
  ): Promise<Response> {
    const base = await this.options.discovery.getBaseUrl(pluginId);
    const token = await this.options.token?.();
    const res = await (this.options.fetch ?? fetch)(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      const error = await ResponseError.fromResponse(res);
      // The backend's own message says what to change; "Request failed with 400" does not.
      if (error.cause.message) error.message = error.cause.message;
      throw error;
    }
    return res;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    pluginId?: string,
  ): Promise<T> {
    const res = await this.send(method, path, body, pluginId);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** The URLs template authors published to the catalog (Konductor's catalog module). */
  async listPublications(): Promise<DefinitionPublication[]> {
    return (
      await this.request<{ items: DefinitionPublication[] }>(
        'GET',
        '/konductor/publications',
        undefined,
        'catalog',
      )
    ).items;
  }

  /** Publishes a URL of definitions or templates, or with `dryRun` shows what it holds. */
  publish(request: PublishRequest): Promise<PublishResult> {
    return this.request('POST', '/konductor/publications', request, 'catalog');
  }

  /** Unpublishes a URL: its location leaves the catalog, with the definitions it held. */
  async unpublish(target: string): Promise<void> {
    await this.request(
      'DELETE',
      `/konductor/publications?target=${encodeURIComponent(target)}`,
      undefined,
      'catalog',
    );
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

  /** A run, its graph and, when the caller may read them, the stack's outputs. */
  getRun(runId: string): Promise<RunDetails> {
    return this.request('GET', `/runs/${encodeURIComponent(runId)}`);
  }

  /** Each stack's latest run with its resources, a page at a time in stack id order. */
  listLatestRuns(
    query: { limit?: number; offset?: number } = {},
  ): Promise<{ items: RunDetails[]; totalCount: number }> {
    return this.request('GET', `/runs/latest${queryString(query)}`);
  }

  listRuns(
    query: Record<string, string | number | undefined> = {},
  ): Promise<{ items: ProvisioningRun[]; totalCount: number }> {
    return this.request('GET', `/runs${queryString(query)}`);
  }

  /** The stack inventory: the stacks the caller may read, filtered, sorted and paged, with totals. */
  listStacks(query: StackInventoryQuery = {}): Promise<StackInventory> {
    return this.request('GET', `/stacks${queryString(query)}`);
  }

  /** The same stacks, every page of them, as CSV. */
  async exportStacksCsv(query: StackInventoryQuery = {}): Promise<string> {
    const { limit: _limit, offset: _offset, ...filters } = query;
    return (
      await this.send('GET', `/stacks/export.csv${queryString(filters)}`)
    ).text();
  }

  /** Every group's budget and quota per environment, with what its stacks commit. */
  listBudgets(): Promise<{ items: TeamBudget[] }> {
    return this.request('GET', '/budgets');
  }

  /** Sets a group's budget and quota in an environment (platform admins). */
  setBudget(limits: BudgetLimits): Promise<TeamBudget> {
    return this.request('PUT', '/budgets', limits);
  }

  /** Withdraws the portal's setting: config's budget applies again (platform admins). */
  withdrawBudget(
    key: Pick<BudgetLimits, 'owner' | 'environment'>,
  ): Promise<TeamBudget> {
    return this.request('DELETE', `/budgets${queryString(key)}`);
  }

  /** The change windows (freezes) of config and of the portal that have not ended. */
  listChangeWindows(): Promise<{ items: ChangeWindow[] }> {
    return this.request('GET', '/change-windows');
  }

  /** Declares a freeze (platform admins). */
  declareChangeWindow(window: ChangeWindowDeclaration): Promise<ChangeWindow> {
    return this.request('POST', '/change-windows', window);
  }

  /** Withdraws a freeze declared in the portal (platform admins). */
  withdrawChangeWindow(id: string): Promise<ChangeWindow> {
    return this.request('DELETE', `/change-windows/${encodeURIComponent(id)}`);
  }

  /**
   * Asks whether a stack run needs approval under the platform's rules, and opens the request when
   * it does (the same request when asked again for the same task, stack and operation).
   */
  openApproval(request: ApprovalOpenRequest): Promise<ApprovalOpenResult> {
    return this.request('POST', '/approvals', request);
  }

  /** One request, as its requester, an approver, or a backend service reads it. */
  getApproval(id: string): Promise<ApprovalRequest> {
    return this.request('GET', `/approvals/${encodeURIComponent(id)}`);
  }

  /** The requests the caller may see, newest first, with whether they may decide each. */
  listApprovals(
    query: { state?: ApprovalState } = {},
  ): Promise<{ items: ApprovalListItem[] }> {
    return this.request('GET', `/approvals${queryString(query)}`);
  }

  /** Withdraws a waiting request (its requester): nothing runs, and its approvers are told. */
  withdrawApproval(id: string): Promise<ApprovalRequest> {
    return this.request(
      'POST',
      `/approvals/${encodeURIComponent(id)}/withdrawal`,
    );
  }

  /** Approves (the run goes on) or rejects (with why) a waiting request. */
  decideApproval(
    id: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalRequest> {
    return this.request(
      'POST',
      `/approvals/${encodeURIComponent(id)}/decision`,
      decision,
    );
  }

  /**
   * Claims a stack for an owner before anything of it is created: a new stack, or one the owner
   * already has. Refused (409) when another owner has it, and (403) when the caller may not
   * create or change it for that owner.
   */
  claimStack(
    request: StackClaimRequest,
  ): Promise<{ stack: ProvisioningStack; created: boolean }> {
    return this.request('POST', '/stacks/claims', request);
  }

  /** Whether a stack of this name is free here, or already the owner's; never throws for taken. */
  stackAvailability(
    query: Omit<StackClaimRequest, 'owner'> & { owner?: string },
  ): Promise<StackAvailability> {
    return this.request('GET', `/stacks/availability${queryString(query)}`);
  }

  /** The recorded stack (its owner), as the caller may read it. */
  getStack(key: StackKey): Promise<ProvisioningStack> {
    return this.request('GET', stackPath(key));
  }

  /** Moves the stack's expiry (*Extend*): refused for prod, for a date past or beyond the maximum. */
  setStackExpiry(
    key: StackKey,
    request: StackExpiryRequest,
  ): Promise<ProvisioningStack> {
    return this.request('PUT', `${stackPath(key)}/expiry`, request);
  }

  /** How the stack's app is delivered through Argo CD (404 when it is not). */
  getStackDelivery(key: StackKey): Promise<StackDelivery> {
    return this.request('GET', `${stackPath(key)}/delivery`);
  }

  /** The versions of the stack's desired state, newest first. */
  getStackVersions(key: StackKey): Promise<StackVersionList> {
    return this.request('GET', `${stackPath(key)}/versions`);
  }

  /** What the last drift scan of the stack found, and any scan asked for since. */
  getStackDrift(key: StackKey): Promise<StackDrift> {
    return this.request('GET', `${stackPath(key)}/drift`);
  }

  /** Asks for a drift scan of the stack now; the platform's scan reports it. */
  requestDriftScan(key: StackKey): Promise<StackDrift | undefined> {
    return this.request('POST', `${stackPath(key)}/drift/scans`);
  }

  /**
   * Every stack's last version, a page at a time, or one stack's when its key is given (backend
   * services: the drift scan).
   */
  listDesiredStates(
    page: { offset: number; limit: number } & Partial<StackKey>,
  ): Promise<DesiredStackStateList> {
    const query = new URLSearchParams(
      Object.entries(page).map(([k, v]) => [k, String(v)]),
    );
    return this.request('GET', `/desired-states?${query}`);
  }

  /** Stores a drift scan's findings as the stack's last (backend services). */
  reportDrift(key: StackKey, report: DriftReport): Promise<StackDrift> {
    return this.request('PUT', `${stackPath(key)}/drift`, report);
  }

  /**
   * Takes or renews the stack's lease for a run (backend services): refused (409) while another
   * run holds it and its lease has not expired.
   */
  acquireStackLease(
    key: StackKey,
    request: StackLeaseRequest,
  ): Promise<StackLease> {
    return this.request('POST', `${stackPath(key)}/lease`, request);
  }

  /** Gives the stack's lease up, when `holder` holds it. */
  releaseStackLease(key: StackKey, holder: string): Promise<void> {
    return this.request(
      'DELETE',
      `${stackPath(key)}/lease?holder=${encodeURIComponent(holder)}`,
    );
  }

  /** Forgets a destroyed stack, so its name is free again. */
  releaseStack(key: StackKey): Promise<void> {
    return this.request('DELETE', stackPath(key));
  }

  /** Cancels a running run (its scaffolder task), as the signed-in user. */
  cancelRun(runId: string): Promise<{ runId: string; taskId: string }> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** Retries a finished run (its scaffolder task resumes from its checkpoints), as the signed-in user. */
  retryRun(runId: string): Promise<{ runId: string; taskId: string }> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/retry`);
  }

  /** Events after `after` (the cursor), up to a page of them. */
  listEvents(
    runId: string,
    after: number,
  ): Promise<{ events: ProvisioningEvent[]; cursor: number }> {
    return this.request(
      'GET',
      `/runs/${encodeURIComponent(runId)}/events?after=${after}`,
    );
  }

  /**
   * Follows a run's event log (server-sent events) from `after` on, handing each stored batch to
   * `onEvents` in order. Resolves when `signal` aborts or the server ends the stream, which it
   * does every few minutes so that access is decided again: follow again from the cursor. Rejects
   * when the stream cannot be opened or breaks; it does not retry by itself.
   */
  async followEvents(
    runId: string,
    options: {
      after: number;
      onEvents: (events: ProvisioningEvent[]) => void;
      /** Called once the stream is open. */
      onOpen?: () => void;
      signal: AbortSignal;
    },
  ): Promise<void> {
    const base = await this.options.discovery.getBaseUrl('provisioning');
    const token = await this.options.token?.();
    await fetchEventSource(
      `${base}/runs/${encodeURIComponent(runId)}/events/stream?after=${
        options.after
      }`,
      {
        fetch: this.options.fetch,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: options.signal,
        openWhenHidden: true,
        async onopen(res) {
          if (!res.ok) throw await ResponseError.fromResponse(res);
          options.onOpen?.();
        },
        onmessage(message) {
          if (message.event === 'events')
            options.onEvents(JSON.parse(message.data));
        },
        onerror(error) {
          throw error;
        },
      },
    );
  }
}
