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

/** An Argo CD Application as its API answers it (the parts Konductor reads). */
/** A node of an application's resource tree (Argo CD's `ResourceNode`). */
export interface ArgoCdResourceNode {
  kind: string;
  name: string;
  namespace?: string;
  health?: { status: string; message?: string };
  info?: { name: string; value: string }[];
}

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
      syncResult?: { revision?: string };
    };
    conditions?: { type: string; message: string }[];
    resources?: {
      kind: string;
      name: string;
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

  private async call<T>(
    method: string,
    path: string,
    body?: object,
  ): Promise<T> {
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
    const parsed = text ? JSON.parse(text) : {};
    if (!res.ok)
      throw new ArgoCdError(
        res.status,
        parsed.code,
        `Argo CD answered ${res.status} to ${method} ${path}: ${
          parsed.message ?? text
        }`,
      );
    return parsed as T;
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
