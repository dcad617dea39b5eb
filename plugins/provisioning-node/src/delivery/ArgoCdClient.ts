import { fetchWithTimeout } from '../timeouts';

/** An error the Argo CD API answered with (its gRPC code and message). */
export class ArgoCdError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ArgoCdError';
  }
}

/** A node of an application's resource tree (Argo CD's `ResourceNode`). */
export interface ArgoCdResourceNode {
  group?: string;
  version?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  health?: { status: string; message?: string };
  info?: { name: string; value: string }[];
}

/** An Argo CD Application as its API answers it (the parts Konductor reads). */
export interface ArgoCdApplication {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, any>;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: {
      phase?: string;
      message?: string;
      finishedAt?: string;
      syncResult?: { revision?: string };
    };
    conditions?: { type: string; message: string }[];
    resources?: {
      kind: string;
      name: string;
      namespace?: string;
      status?: string;
      health?: { status?: string; message?: string };
    }[];
    history?: { id: number; revision: string; deployedAt?: string }[];
  };
}

/** The Argo CD REST API (`/api/v1`) as the portal uses it, with the account token. */
export class ArgoCdClient {
  private readonly fetch = fetchWithTimeout();

  constructor(
    private readonly serverUrl: string,
    private readonly token: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** The answer's text; an error with Argo CD's message when it refuses. */
  private async request(
    method: string,
    path: string,
    body?: object,
  ): Promise<string> {
    const res = await this.fetch(`${this.serverUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': 'application/json',
      },
      body: body && JSON.stringify(body),
      signal: this.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      let parsed: { code?: number; message?: string } = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not Argo CD's gateway speaking: its text says what went wrong.
      }
      throw new ArgoCdError(
        res.status,
        parsed.code,
        `Argo CD answered ${res.status} to ${method} ${path}: ${
          parsed.message ?? text
        }`,
      );
    }
    return text;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: object,
  ): Promise<T> {
    const text = await this.request(method, path, body);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Registers (or updates) a cluster by its EKS ARN, as the EKS capability names clusters. */
  registerCluster(server: string, name: string) {
    return this.call('POST', '/api/v1/clusters?upsert=true', { server, name });
  }

  /** Creates the application, or updates its spec. */
  upsertApplication(app: Omit<ArgoCdApplication, 'status'>) {
    return this.call<ArgoCdApplication>(
      'POST',
      '/api/v1/applications?upsert=true',
      app,
    );
  }

  /** The application, or undefined when Argo CD has none of that name. */
  async application(name: string): Promise<ArgoCdApplication | undefined> {
    try {
      return await this.call<ArgoCdApplication>(
        'GET',
        `/api/v1/applications/${encodeURIComponent(name)}`,
      );
    } catch (e) {
      if (e instanceof ArgoCdError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * The application's resource tree: its resources and what they own (a Deployment's ReplicaSets
   * and pods), each with its health, as Argo CD sees them in the destination cluster.
   */
  async resourceTree(name: string): Promise<ArgoCdResourceNode[]> {
    const tree = await this.call<{ nodes?: ArgoCdResourceNode[] }>(
      'GET',
      `/api/v1/applications/${encodeURIComponent(name)}/resource-tree`,
    );
    return tree.nodes ?? [];
  }

  /** The applications whose labels match `selector` (`key=value,...`). */
  async applications(selector: string): Promise<ArgoCdApplication[]> {
    const list = await this.call<{ items?: ArgoCdApplication[] | null }>(
      'GET',
      `/api/v1/applications?${new URLSearchParams({ selector })}`,
    );
    return list.items ?? [];
  }

  /** The live object of a resource in the application's tree, as the cluster holds it. */
  async liveResource(
    name: string,
    node: ArgoCdResourceNode,
  ): Promise<Record<string, any>> {
    const { manifest } = await this.call<{ manifest: string }>(
      'GET',
      `/api/v1/applications/${encodeURIComponent(
        name,
      )}/resource?${new URLSearchParams({
        namespace: node.namespace ?? '',
        resourceName: node.name,
        version: node.version ?? '',
        kind: node.kind,
        group: node.group ?? '',
      })}`,
    );
    return JSON.parse(manifest);
  }

  /**
   * The log of a pod of the application's tree (one container), as Argo CD streams it: the lines'
   * contents, without the timestamps it adds.
   */
  async podLogs(
    name: string,
    pod: {
      namespace: string;
      name: string;
      container?: string;
      /** The log of the container's previous run (after a restart). */
      previous?: boolean;
    },
  ): Promise<string> {
    const text = await this.request(
      'GET',
      `/api/v1/applications/${encodeURIComponent(
        name,
      )}/pods/${encodeURIComponent(pod.name)}/logs?${new URLSearchParams({
        namespace: pod.namespace,
        ...(pod.container && { container: pod.container }),
        ...(pod.previous && { previous: 'true' }),
        follow: 'false',
      })}`,
    );
    const lines: string[] = [];
    for (const line of text.split('\n').filter(Boolean)) {
      const message = JSON.parse(line) as {
        result?: { content?: string; last?: boolean };
        error?: { code?: number; message?: string };
      };
      // A stream that fails after it started ends with the error, not with `last`.
      if (message.error)
        throw new ArgoCdError(
          500,
          message.error.code,
          `Argo CD could not read the log of pod ${pod.name}: ${message.error.message}`,
        );
      if (message.result && !message.result.last)
        lines.push(message.result.content ?? '');
    }
    return lines.map(l => `${l}\n`).join('');
  }

  /** The events of a resource of the application's tree, from its cluster (a `v1` EventList). */
  resourceEvents(
    name: string,
    resource: { namespace: string; name: string; uid: string },
  ): Promise<{ items?: Record<string, any>[] }> {
    return this.call(
      'GET',
      `/api/v1/applications/${encodeURIComponent(
        name,
      )}/events?${new URLSearchParams({
        resourceNamespace: resource.namespace,
        resourceName: resource.name,
        resourceUID: resource.uid,
      })}`,
    );
  }

  /** Deletes the application and what it deployed (cascade). */
  async deleteApplication(name: string) {
    try {
      await this.call(
        'DELETE',
        `/api/v1/applications/${encodeURIComponent(name)}?cascade=true`,
      );
    } catch (e) {
      if (!(e instanceof ArgoCdError && e.status === 404)) throw e;
    }
  }
}
