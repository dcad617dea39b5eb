import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLATFORM_HUB, startSandbox, Sandbox } from '@konductor/sandbox';
import {
  BackendProcess,
  GuestApi,
  writeBackendConfig,
} from './__testUtils__/backendProcess';

const SANDBOX_PORT = 4866;
const BACKEND_PORT = 7407;

/**
 * The operator's crash: the backend process is killed (SIGKILL) while a stack is being created,
 * and started again. Task recovery resumes the task, the stack action its checkpoints.
 */
describe('a backend killed in the middle of a run', () => {
  let sandbox: Sandbox;
  let backend: BackendProcess;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-recovery-'));
    sandbox = await startSandbox({
      port: SANDBOX_PORT,
      platformHub: true,
      // Long enough that the kill lands while the database is being created.
      durations: { rdsInstance: 6000, eksCluster: 3000, eksNodegroup: 1000 },
    });
    backend = new BackendProcess({
      dir,
      port: BACKEND_PORT,
      config: writeBackendConfig({
        dir,
        backendPort: BACKEND_PORT,
        sandboxPort: SANDBOX_PORT,
        extra: {
          scaffolder: { taskRecovery: { staleTimeout: { seconds: 5 } } },
        },
      }),
    });
  });

  afterAll(async () => {
    await backend?.stop('SIGKILL');
    await sandbox?.stop();
  });

  it('finishes the run after a restart, resuming what was done and creating nothing twice', async () => {
    await backend.start();
    const api = new GuestApi(backend.url, SANDBOX_PORT);
    await api.signIn();
    await api.waitForTemplates('eks-app-stack');
    const task = await api.provision('recover');

    // Killed while the database is being created (the network is done and checkpointed).
    for (;;) {
      const events = await api.runEvents(task, 'recover-dev');
      if (events.some(e => e.resource === 'database' && e.status === 'waiting'))
        break;
      await new Promise(r => setTimeout(r, 100));
    }
    await backend.stop('SIGKILL');
    const inventory = () =>
      sandbox.state
        .all()
        // The stack's account: not the platform hub's, whose cluster runs Argo CD.
        .filter(
          r =>
            ['ec2', 'rds', 'eks'].includes(r.service) &&
            r.account !== PLATFORM_HUB.accountId,
        )
        .map(r => `${r.service}/${r.type}`)
        .sort();
    expect(inventory()).toContain('rds/db-instance');

    await backend.start();
    await api.signIn();
    expect(await api.finished(task)).toBe('completed');

    const events = await api.runEvents(task, 'recover-dev');
    const ready = (kind: string) =>
      events.filter(e => e.resource === kind && e.status === 'ready');
    expect(ready('network').at(-1)?.message).toMatch(/resumed from checkpoint/);
    for (const kind of ['database', 'cluster', 'app'])
      expect(ready(kind)).not.toEqual([]);
    expect(events.at(-1)).toMatchObject({ status: 'run-succeeded' });
    // One of everything: the resumed run adopted what the killed one had started.
    const counts = inventory().reduce<Record<string, number>>(
      (c, t) => ({ ...c, [t]: (c[t] ?? 0) + 1 }),
      {},
    );
    expect(counts).toMatchObject({
      'ec2/vpc': 1,
      'rds/db-instance': 1,
      'eks/cluster': 1,
      'eks/nodegroup': 1,
    });
  }, 300_000);
});
