import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';

const ROOT = path.resolve(__dirname, '../../../..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Writes the configuration of a backend process on its own port, pointed at a sandbox on
 * `sandboxPort`, with its data in `dir` (SQLite files that outlive the process) or in PostgreSQL
 * under a prefix of its own; `extra` is merged on top. Returns the file's path.
 */
export function writeBackendConfig(options: {
  dir: string;
  backendPort: number;
  sandboxPort: number;
  postgres?: string;
  extra?: Record<string, unknown>;
}): string {
  const { dir, backendPort, sandboxPort, postgres } = options;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const file = path.join(dir, 'app-config.process.yaml');
  const config = {
    app: { baseUrl: `http://localhost:${backendPort + 1000}` },
    backend: {
      baseUrl: `http://localhost:${backendPort}`,
      listen: { port: backendPort },
      database: postgres
        ? {
            client: 'pg',
            connection: postgres,
            prefix: `konductor_p${backendPort}_${Date.now().toString(36)}_`,
          }
        : {
            client: 'better-sqlite3',
            connection: { directory: path.join(dir, 'sqlite') },
          },
    },
    konductor: {
      sandbox: { url: sandboxUrl },
      aws: { endpoint: sandboxUrl, pollIntervalSeconds: 1 },
      jira: { baseUrl: `${sandboxUrl}/jira` },
      // The platform's GitOps repository in this sandbox (started with its platform hub).
      apps: {
        gitops: {
          repoUrl: `127.0.0.1:${sandboxPort}?owner=acme&repo=deployments`,
        },
      },
    },
    integrations: {
      github: [
        {
          host: `127.0.0.1:${sandboxPort}`,
          apiBaseUrl: `${sandboxUrl}/github`,
          token: 'sandbox-token',
        },
      ],
    },
    auth: {
      providers: {
        github: { development: { enterpriseInstanceUrl: sandboxUrl } },
      },
    },
    catalog: { providers: { githubOrg: { githubUrl: sandboxUrl } } },
  };
  // JSON is YAML; the extra settings win.
  fs.writeFileSync(file, JSON.stringify(merge(config, options.extra ?? {})));
  return file;
}

/**
 * Drops the PostgreSQL databases of the backend configured in `configFile` (those under its
 * prefix), once it has stopped: a bench leaves none behind. Nothing to do on SQLite.
 */
export async function dropBackendDatabases(configFile: string): Promise<void> {
  const { database } = JSON.parse(fs.readFileSync(configFile, 'utf8')).backend;
  if (database.client !== 'pg') return;
  const url = new URL(database.connection);
  url.pathname = '/postgres';
  const db = knexFactory({ client: 'pg', connection: url.toString() });
  try {
    const { rows } = await db.raw(
      'select datname from pg_database where starts_with(datname, ?)',
      [database.prefix],
    );
    for (const { datname } of rows as { datname: string }[])
      await db.raw('drop database if exists ?? with (force)', [datname]);
  } finally {
    await db.destroy();
  }
}

function merge(a: any, b: any): any {
  if (typeof a !== 'object' || typeof b !== 'object' || Array.isArray(b))
    return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
  return out;
}

/**
 * Konductor's backend as a process of its own (the embedded config with the sandbox's, then
 * `config`), so a test or bench can kill it and start it again as an operator would.
 */
export class BackendProcess {
  private child?: ChildProcess;
  private exited?: Promise<unknown>;
  private readonly log: fs.WriteStream;
  readonly url: string;

  constructor(
    private readonly options: { dir: string; config: string; port: number },
  ) {
    this.url = `http://localhost:${options.port}`;
    this.log = fs.createWriteStream(path.join(options.dir, 'backend.log'));
  }

  /** Starts it and resolves, with the time it took, once it reports ready. */
  async start(): Promise<number> {
    const started = Date.now();
    this.log.write(`\n==== start ${new Date().toISOString()}\n`);
    const child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        'src/index.ts',
        ...['app-config.yaml', 'app-config.sandbox.yaml'].flatMap(f => [
          '--config',
          path.join(ROOT, f),
        ]),
        '--config',
        this.options.config,
      ],
      {
        cwd: path.join(ROOT, 'packages/backend'),
        env: { ...process.env, NODE_ENV: 'development' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.child = child;
    this.exited = new Promise(resolve => child.once('exit', resolve));
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(
          `the backend exited with ${child.exitCode} while starting: see ${this.options.dir}/backend.log`,
        );
      const ready = await fetch(`${this.url}/.backstage/health/v1/readiness`)
        .then(r => r.ok)
        .catch(() => false);
      if (ready) return Date.now() - started;
      if (Date.now() - started > 300_000)
        throw new Error(
          `the backend did not start in 300 s: see ${this.options.dir}/backend.log`,
        );
      await sleep(250);
    }
  }

  /**
   * The CPU time the process has used so far, all its threads, in ms (from Linux's
   * `/proc/<pid>/stat`, in the kernel's 10 ms ticks); undefined where there is no such file.
   */
  cpuMs(): number | undefined {
    if (!this.child?.pid) return undefined;
    try {
      const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  }

  /** Sends `signal` and resolves, with the time it took, once the process has exited. */
  async stop(signal: NodeJS.Signals): Promise<number> {
    const stopping = Date.now();
    if (!this.child || this.child.exitCode !== null) return 0;
    this.log.write(`\n==== ${signal} ${new Date().toISOString()}\n`);
    this.child.kill(signal);
    await this.exited;
    return Date.now() - stopping;
  }
}

/** A scaffolder task event, as the task's event list returns it. */
interface TaskEvent {
  body: { message?: string; error?: { message: string } };
}

/** The backend's API as the guest user, with a token from the guest sign-in as the app gets one. */
export class GuestApi {
  private token = '';

  constructor(
    private readonly url: string,
    private readonly sandboxPort: number,
  ) {}

  /**
   * Signs in as guest, once the catalog knows the guest's groups (the owner of every stack) and
   * has imported its team from the sandbox's GitHub organisation (repositories are given to it).
   */
  async signIn() {
    for (;;) {
      const res = await fetch(
        `${this.url}/api/auth/guest/refresh?env=development`,
        { headers: { 'x-requested-with': 'XMLHttpRequest' } },
      );
      if (!res.ok) throw new Error(`guest sign-in: ${res.status}`);
      const { token, identity } = (await res.json()).backstageIdentity;
      this.token = token;
      if (
        identity.ownershipEntityRefs.includes('group:default/guests') &&
        (await this.call(
          'GET',
          'catalog/entities/by-name/group/default/guests',
        ).then(
          () => true,
          () => false,
        ))
      )
        return;
      await sleep(500);
    }
  }

  /** The guest's Backstage token (after {@link GuestApi.signIn}). */
  bearer(): string {
    return this.token;
  }

  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok)
      throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  }

  async waitForTemplates(...names: string[]) {
    for (const name of names) {
      while (
        !(await this.call(
          'GET',
          `catalog/entities/by-name/template/default/${name}`,
        ).catch(() => undefined))
      )
        await sleep(500);
    }
  }

  /** Starts the EKS app stack template for stack `name` (repository `repo`); the task's id. */
  async provision(name: string, repo = name): Promise<string> {
    return this.startTask('template:default/eks-app-stack', {
      name,
      description: 'A service provisioned by a crash-safety test',
      owner: 'group:default/guests',
      repoUrl: `127.0.0.1:${this.sandboxPort}?owner=acme&repo=${repo}`,
      location: { accountId: ACCOUNT, region: REGION },
      environment: 'dev',
      complianceLevel: 'moderate',
      instanceClass: 'db.t4g.micro',
      nodeInstanceType: 't3.medium',
      publicApiEndpoint: false,
    });
  }

  /** Starts the Destroy template for stack `name`; the task's id. */
  async destroy(name: string): Promise<string> {
    return this.startTask('template:default/destroy-stack', {
      name,
      confirmation: name,
      environment: 'dev',
      location: { accountId: ACCOUNT, region: REGION },
    });
  }

  private async startTask(templateRef: string, values: object) {
    return (
      await this.call<{ id: string }>('POST', 'scaffolder/v2/tasks', {
        templateRef,
        values,
      })
    ).id;
  }

  /** Resolves with the task's end state once it has one. */
  async finished(id: string, limitMs = 600_000): Promise<string> {
    const started = Date.now();
    for (;;) {
      const { status } = await this.call<{ status: string }>(
        'GET',
        `scaffolder/v2/tasks/${id}`,
      ).catch(() => ({ status: '?' }));
      if (['completed', 'failed', 'cancelled'].includes(status)) return status;
      if (Date.now() - started > limitMs) return `still ${status}`;
      await sleep(250);
    }
  }

  /** The events of the task's provisioning run of `stackId` (none before it is registered). */
  async runEvents(taskId: string, stackId: string) {
    const { events } = await this.call<{
      events: { status: string; resource?: string; message: string }[];
    }>('GET', `provisioning/runs/${taskId}_${stackId}/events`).catch(() => ({
      events: [],
    }));
    return events;
  }

  /** The task's failure message, or its last message. */
  async error(id: string): Promise<string> {
    const events = await this.call<TaskEvent[]>(
      'GET',
      `scaffolder/v2/tasks/${id}/events`,
    ).catch(() => [] as TaskEvent[]);
    const failed = events.find(e => e.body.error);
    return failed?.body.error?.message ?? events.at(-1)?.body.message ?? '';
  }
}
