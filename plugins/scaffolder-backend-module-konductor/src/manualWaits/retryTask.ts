import { ResponseError } from '@backstage/errors';
import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { fetchWithTimeout } from '@konductor/plugin-provisioning-node';

const timedFetch = fetchWithTimeout();

/**
 * Retries a task through the scaffolder's API, as this plugin's service: the task goes on from its
 * checkpoints on whichever replica claims it. False when the task is not failed (still ending, or
 * cancelled): it is not retried.
 */
export function scaffolderRetry(options: {
  auth: AuthService;
  discovery: DiscoveryService;
}): (taskId: string) => Promise<boolean> {
  const { auth, discovery } = options;
  return async taskId => {
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'scaffolder',
    });
    const url = `${await discovery.getBaseUrl(
      'scaffolder',
    )}/v2/tasks/${encodeURIComponent(taskId)}`;
    const headers = { authorization: `Bearer ${token}` };
    const task = await timedFetch(url, { headers });
    if (!task.ok) throw await ResponseError.fromResponse(task);
    if (((await task.json()) as { status: string }).status !== 'failed')
      return false;
    const retried = await timedFetch(`${url}/retry`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    if (!retried.ok) throw await ResponseError.fromResponse(retried);
    return true;
  };
}
