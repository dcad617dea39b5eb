import type { APIRequestContext, Page } from '@playwright/test';

/**
 * The test portal's backend and the service token it accepts (app-config.e2e.yaml), so tests and
 * benchmarks can post provisioning events as the stack actions do.
 */
export const backendUrl =
  process.env.KONDUCTOR_BACKEND_URL ?? 'http://localhost:7107';
const token =
  process.env.KONDUCTOR_SERVICE_TOKEN ?? 'konductor-e2e-service-token';
const headers = { authorization: `Bearer ${token}` };

type Kind = 'network' | 'database' | 'secrets' | 'cluster' | 'app';

/** A run posted event by event. */
export interface TestRun {
  id: string;
  /** Posts one event (numbered after the previous one) and returns its sequence number. */
  post(
    status: string,
    resource?: Kind,
    extra?: Record<string, unknown>,
  ): Promise<number>;
}

/** The second backend replica, when the test portal runs two (app-config.e2e-replica.yaml). */
export const replicaUrl = process.env.KONDUCTOR_E2E_POSTGRES
  ? process.env.KONDUCTOR_REPLICA_URL ?? 'http://localhost:7108'
  : undefined;

/**
 * Registers a run of a `network -> database -> secrets` stack named `name` on the backend at
 * `backend` (by default the one the browser talks to); its events are posted there too.
 */
export async function createRun(
  request: APIRequestContext,
  name: string,
  backend: string = backendUrl,
): Promise<TestRun> {
  const res = await request.post(`${backend}/api/provisioning/runs`, {
    headers,
    data: {
      taskId: `e2e-${Date.now().toString(36)}-${Math.random()
        .toString(36)
        .slice(2, 8)}`,
      stackId: `${name}-dev`,
      stackName: name,
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      owner: 'group:default/guests',
      createdBy: 'user:default/guest',
      resources: [
        { resource: 'network', dependsOn: [] },
        { resource: 'database', dependsOn: ['network'] },
        { resource: 'secrets', dependsOn: ['database'] },
      ],
    },
  });
  if (res.status() !== 201)
    throw new Error(`POST /runs: ${res.status()} ${await res.text()}`);
  const { id } = await res.json();
  let seq = 0;
  return {
    id,
    async post(status, resource, extra = {}) {
      seq += 1;
      const event = {
        seq,
        at: new Date().toISOString(),
        status,
        ...(resource ? { resource } : {}),
        message: `${resource ?? 'run'} ${status} #${seq}`,
        ...extra,
      };
      const posted = await request.post(
        `${backend}/api/provisioning/runs/${id}/events`,
        { headers, data: { events: [event] } },
      );
      if (!posted.ok())
        throw new Error(
          `POST events: ${posted.status()} ${await posted.text()}`,
        );
      return seq;
    },
  };
}

/** Signs in as the guest user. */
export async function signIn(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Provisioning' })
    .waitFor();
}
