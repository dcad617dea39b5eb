import { ResponseError } from '@backstage/errors';
import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { fetchWithTimeout } from '@konductor/plugin-provisioning-node';
import type { TaskState } from './RunReconciler';

const timedFetch = fetchWithTimeout();

/**
 * The scaffolder's tasks, called as this plugin: the run pages' cancel and retry (authorized on
 * the run's stack before), the reconciler's question of where a run's task is, and the destroy
 * runs of expired stacks.
 */
export class ScaffolderTasks {
  constructor(
    private readonly options: {
      auth: AuthService;
      discovery: DiscoveryService;
    },
  ) {}

  private async call(method: string, path: string, body?: object) {
    const { auth, discovery } = this.options;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'scaffolder',
    });
    const base = await discovery.getBaseUrl('scaffolder');
    return timedFetch(`${base}/v2/tasks${path ? `/${path}` : ''}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
  }

  /** Starts a task of `templateRef` with `values`, as this plugin; returns its id. */
  async create(templateRef: string, values: object): Promise<string> {
    const response = await this.call('POST', '', { templateRef, values });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return ((await response.json()) as { id: string }).id;
  }

  /** Cancels or retries a task. */
  async act(taskId: string, action: 'cancel' | 'retry'): Promise<void> {
    const response = await this.call(
      'POST',
      `${encodeURIComponent(taskId)}/${action}`,
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
  }

  /** Where a task is, or `missing` when the scaffolder does not have it. */
  async state(taskId: string): Promise<TaskState> {
    const response = await this.call('GET', encodeURIComponent(taskId));
    if (response.status === 404) return 'missing';
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return ((await response.json()) as { status: TaskState }).status;
  }
}
