import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import {
  ACCOUNT,
  BackendProcess,
  GuestApi,
  REGION,
  writeBackendConfig,
} from './__testUtils__/backendProcess';

const SANDBOX_PORT = 4886;
const BACKEND_PORT = 7427;
const WAITING = 3;
const PIPELINE_TOKEN = 'approval-restart-pipeline-token';

type Approval = { id: string; state: string; taskId: string; stackId: string };
type Task = { id: string; status: string };

/**
 * Requests waiting for approval hold no scaffolder worker and outlive the backend: a pipeline
 * (a backend service) asks for prod databases, each task ends waiting, the backend is killed and
 * started again, and a platform admin who did not ask approves them; every run then goes on.
 */
describe('approval requests across a backend restart', () => {
  let sandbox: Sandbox;
  let backend: BackendProcess;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-approvals-'));
    sandbox = await startSandbox({
      port: SANDBOX_PORT,
      durations: { rdsInstance: 500, vpc: 100 },
    });
    backend = new BackendProcess({
      dir,
      port: BACKEND_PORT,
      config: writeBackendConfig({
        dir,
        backendPort: BACKEND_PORT,
        sandboxPort: SANDBOX_PORT,
        extra: {
          backend: {
            auth: {
              externalAccess: [
                {
                  type: 'static',
                  options: { token: PIPELINE_TOKEN, subject: 'pipeline' },
                },
              ],
            },
          },
          konductor: { provisioning: { approvals: { intervalSeconds: 2 } } },
        },
      }),
    });
  });

  afterAll(async () => {
    await backend?.stop('SIGKILL');
    await sandbox?.stop();
  });

  it(`keeps ${WAITING} waiting requests with no worker busy, and resumes each once approved after a restart`, async () => {
    await backend.start();
    const admin = new GuestApi(backend.url, SANDBOX_PORT);
    await admin.signIn();
    await admin.waitForTemplates('postgres-database');

    // The pipeline asks for the databases, as a backend service.
    const pipeline = async <T>(method: string, url: string, body?: object) => {
      const res = await fetch(`${backend.url}/api/${url}`, {
        method,
        headers: {
          authorization: `Bearer ${PIPELINE_TOKEN}`,
          'content-type': 'application/json',
        },
        body: body && JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const suffix = Date.now().toString(36);
    const names = Array.from({ length: WAITING }, (_, i) => `w${i}${suffix}`);
    const tasks = await Promise.all(
      names.map(
        async name =>
          (
            await pipeline<{ id: string }>('POST', 'scaffolder/v2/tasks', {
              templateRef: 'template:default/postgres-database',
              values: {
                name,
                environment: 'prod',
                owner: 'group:default/guests',
              },
            })
          ).id,
      ),
    );

    // Each task ends, waiting; its request is recorded; nothing was created.
    for (const task of tasks)
      expect(await admin.finished(task, 120_000)).toBe('failed');
    for (const task of tasks)
      expect(await admin.error(task)).toMatch(
        /Waiting for approval \(request /,
      );
    const pending = async () =>
      (
        await admin.call<{ items: Approval[] }>(
          'GET',
          'provisioning/approvals?state=pending',
        )
      ).items.filter(a => tasks.includes(a.taskId));
    expect((await pending()).map(a => a.stackId).sort()).toEqual(
      names.map(n => `${n}-prod`).sort(),
    );
    const busy = async () =>
      (
        await admin.call<{ tasks: Task[] }>(
          'GET',
          'scaffolder/v2/tasks?status=processing',
        )
      ).tasks.length;
    // Measured: N waiting requests, 0 busy workers.
    expect(await busy()).toBe(0);
    const created = () =>
      sandbox.state
        .all()
        .filter(r => ['ec2', 'rds'].includes(r.service))
        .filter(r => names.some(n => JSON.stringify(r).includes(n)));
    expect(created()).toEqual([]);

    // Killed and started again: the requests are still there, still waiting.
    await backend.stop('SIGKILL');
    await backend.start();
    await admin.signIn();
    const afterRestart = await pending();
    expect(afterRestart).toHaveLength(WAITING);
    expect(await busy()).toBe(0);

    // The admin, who did not ask, approves each; each task resumes and completes.
    for (const request of afterRestart)
      await admin.call(
        'POST',
        `provisioning/approvals/${request.id}/decision`,
        {
          decision: 'approve',
          comment: 'capacity checked',
        },
      );
    for (const task of tasks)
      expect(await admin.finished(task, 180_000)).toBe('completed');
    expect(
      created()
        .filter(r => r.type === 'db-instance')
        .map(r => r.id)
        .sort(),
    ).toHaveLength(WAITING);
    for (const name of names)
      expect(
        await admin.call<{ owner: string }>(
          'GET',
          `provisioning/stacks/${ACCOUNT}/${REGION}/${name}-prod`,
        ),
      ).toMatchObject({ owner: 'group:default/guests' });
  }, 300_000);
});
