import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { handleAws } from './aws';
import { seedHostedZone } from './aws/route53';
import { SANDBOX_SECRET_ACCESS_KEY } from './aws/sigv4';
import { seedPlatformHub } from './platformHub';
import { FaultInjector, FaultRule } from './faults';
import { handleGitHttp, handleGithub } from './github';
import { handleGithubGraphql } from './github/graphql';
import {
  DEFAULT_OAUTH_APP,
  DEFAULT_ORG,
  GithubIdentities,
  SandboxOAuthApp,
  SandboxOrg,
} from './github/identity';
import { handleGithubOAuth } from './github/oauth';
import { handleGithubWeb } from './github/web';
import { handleJira } from './jira';
import { handleArgoCd } from './argocd';
import { handleKubernetes } from './kubernetes';
import { registryImages, STARTER_IMAGE } from './kubernetes/images';
import { sandboxTls } from './kubernetes/tls';
import { SandboxState, phaseOf } from './state';
import {
  SandboxContext,
  SandboxDurations,
  SandboxRequest,
  SandboxResponse,
  json,
} from './types';

/** Options of {@link startSandbox}; every one has a default that works for tests. */
export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Port of the clusters' Kubernetes API servers (HTTPS); 0 (default) picks a free one. */
  kubernetesPort?: number;
  host?: string;
  /** Folder for state and git repositories; without one, state lives in memory and git in a temp folder. */
  dataDir?: string;
  /** Durations of asynchronous operations in ms (defaults are short: a few seconds at most). */
  durations?: Partial<SandboxDurations>;
  /** The account token its Argo CD servers accept (DEFAULT_ARGOCD_TOKEN unless given). */
  argocdToken?: string;
  /**
   * Reach clusters' endpoints only as EKS configures them (a private endpoint from inside its
   * VPC alone, as the Argo CD capability reaches it; a public one from its publicAccessCidrs).
   */
  privateEndpoints?: boolean;
  /**
   * Start with the platform's hub for delivery through git ({@link PLATFORM_HUB}): its EKS
   * cluster with the Argo CD capability, and the GitOps repository (default off).
   */
  platformHub?: boolean;
  /** The internet address callers from outside AWS come from (default 203.0.113.10). */
  clientPublicIp?: string;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Seed for fault probabilities, so a run is reproducible. */
  seed?: number;
  /** AWS account used when an access key id names none (default 123456789012). */
  accountId?: string;
  /**
   * The secret access key of every access key id: AWS requests signed with another are refused
   * (default {@link SANDBOX_SECRET_ACCESS_KEY}).
   */
  secretAccessKey?: string;
  /**
   * Public Route 53 hosted zones the default account has from the start, standing for domains the
   * organisation delegated to Route 53 (default none; the sandbox process has example.com).
   */
  hostedZones?: string[];
  /**
   * Container images that registries hold besides the platform's starter image
   * ({@link STARTER_IMAGE}, always there): a Deployment whose image is not among them never
   * becomes available, its pods in ImagePullBackOff (default none).
   */
  images?: string[];
  /** Jira project keys that exist (default PLAT, OPS). */
  jiraProjects?: string[];
  /** VPCs per account and region (default 5, AWS's default quota; an account can have it raised). */
  vpcLimit?: number;
  /** GitHub's organisation: who can sign in, and its teams (default: acme, {@link DEFAULT_ORG}). */
  githubOrg?: SandboxOrg;
  /** OAuth apps registered with GitHub (default: the embedded setup's, {@link DEFAULT_OAUTH_APP}). */
  githubOAuthApps?: SandboxOAuthApp[];
  /** Called as each request arrives (benchmarks time the first cloud call with it). */
  onRequest?: (method: string, path: string) => void;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, such as `http://127.0.0.1:4566`: the AWS endpoint, and the root of the others. */
  url: string;
  port: number;
  /** GitHub REST base URL for `new Octokit({ baseUrl })`. */
  githubUrl: string;
  /** Jira base URL (REST API under `/rest/api/2` and `/rest/api/3`). */
  jiraUrl: string;
  /**
   * Base URL of the clusters' Kubernetes API servers, `https://127.0.0.1:<port>`; each cluster's
   * endpoint (DescribeCluster) is under it.
   */
  kubernetesUrl: string;
  /** The CA that signed the Kubernetes servers' certificate (DescribeCluster's certificateAuthority). */
  kubernetesCaPem: string;
  faults: FaultInjector;
  state: SandboxState;
  stop(): Promise<void>;
}

/**
 * The account token the sandbox's Argo CD servers accept: on EKS, an admin generates one in the
 * capability's Argo CD UI (Settings, Accounts) for the portal's account.
 */
export const DEFAULT_ARGOCD_TOKEN = 'sandbox-argocd-token';

/** Defaults: quick enough for tests and demos, slow enough that "waiting" is visible. */
export const DEFAULT_DURATIONS: SandboxDurations = {
  vpc: 200,
  rdsInstance: 3000,
  rdsInstanceDelete: 1000,
  rdsModify: 4000,
  eksCluster: 4000,
  eksClusterDelete: 1000,
  eksClusterUpdate: 3000,
  eksNodegroup: 2000,
  eksNodegroupDelete: 1000,
  eksNodegroupUpdate: 3000,
  eksCapability: 2000,
  eksCapabilityDelete: 1000,
  eksAddon: 1500,
  eksAddonDelete: 500,
  deployment: 1000,
  namespaceDelete: 500,
  natGateway: 1000,
  natGatewayDelete: 500,
  secretForceDelete: 1000,
  cacheReplicationGroup: 2500,
  cacheReplicationGroupDelete: 800,
  dnsChange: 400,
  certificateRecord: 300,
  certificateIssue: 1500,
};

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Counts of live resources per `service/type`, and the resources themselves; not those that are
 * gone for every call while the service frees their name (a force-deleted secret).
 */
function inspect(state: SandboxState) {
  const resources = state
    .all()
    .filter(r => !(r.data as any)?.purging)
    .map(r => ({
      service: r.service,
      type: r.type,
      id: r.id,
      account: r.account,
      region: r.region,
      phase: phaseOf(r),
      createdAt: new Date(r.createdAt).toISOString(),
      tags: (r.data as any)?.tags,
    }));
  const counts: Record<string, number> = {};
  for (const r of resources)
    counts[`${r.service}/${r.type}`] =
      (counts[`${r.service}/${r.type}`] ?? 0) + 1;
  return { total: resources.length, counts, resources };
}

/** What the sandbox's accounts hold before anyone creates anything. */
async function seed(ctx: SandboxContext) {
  for (const zone of ctx.hostedZones)
    seedHostedZone(ctx.state, ctx.accountId, zone);
  if (ctx.platformHub) await seedPlatformHub(ctx);
}

/** The admin API under `/__sandbox`: health, inspection, AWS call counts, faults, reset. */
async function handleAdmin(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse> {
  const route = `${req.method} ${req.path}`;
  if (route === 'GET /health') return json(200, { status: 'ok' });
  if (route === 'GET /resources') return json(200, inspect(ctx.state));
  if (route === 'DELETE /resources') {
    ctx.state.clear();
    await seed(ctx);
    return json(204, undefined);
  }
  if (route === 'GET /calls')
    return json(200, { calls: Object.fromEntries(ctx.calls) });
  if (route === 'DELETE /calls') {
    ctx.calls.clear();
    return json(204, undefined);
  }
  if (route === 'GET /faults') return json(200, { faults: ctx.faults.list() });
  if (route === 'DELETE /faults') {
    ctx.faults.clear();
    return json(204, undefined);
  }
  const rule = /^DELETE \/faults\/([^/]+)$/.exec(route);
  if (rule)
    return ctx.faults.remove(decodeURIComponent(rule[1]))
      ? json(204, undefined)
      : json(404, { error: `No fault rule ${rule[1]}` });
  if (route === 'POST /faults') {
    let body: any;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return json(400, {
        error: 'The body must be a JSON fault rule or an array of them',
      });
    }
    try {
      const ids = (Array.isArray(body) ? body : [body]).map(r =>
        ctx.faults.add(r),
      );
      return json(201, { ids });
    } catch (e) {
      return json(400, { error: (e as Error).message });
    }
  }
  return json(404, { error: `No sandbox admin route ${route}` });
}

type Handler = (
  req: SandboxRequest,
  ctx: SandboxContext,
) => Promise<SandboxResponse | undefined>;

/**
 * Answers requests from the handler whose path prefix matches (the prefix taken off the path), or
 * else from the first fallback that answers, or 404; with `git`, git smart HTTP under /git/.
 */
function listener(
  ctx: SandboxContext,
  options: SandboxOptions,
  served: { routes: [string, Handler][]; fallbacks: Handler[]; git?: boolean },
): http.RequestListener {
  return async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      options.onRequest?.(req.method ?? 'GET', url.pathname);
      // git smart HTTP streams through `git http-backend`.
      if (served.git && url.pathname.startsWith('/git/')) {
        await handleGitHttp(req, res, url, ctx);
        return;
      }
      const base = {
        method: req.method ?? 'GET',
        query: url.searchParams,
        headers: req.headers,
        target: req.url ?? '/',
        body: await readBody(req),
      };
      let response: SandboxResponse | undefined;
      const route = served.routes.find(
        ([prefix]) =>
          url.pathname === prefix || url.pathname.startsWith(`${prefix}/`),
      );
      if (route)
        response = await route[1](
          { ...base, path: url.pathname.slice(route[0].length) || '/' },
          ctx,
        );
      for (const fallback of route ? [] : served.fallbacks)
        response ??= await fallback({ ...base, path: url.pathname }, ctx);
      response ??= json(404, {
        error: `The sandbox has no route for ${req.method} ${url.pathname}`,
      });
      if (response.drop) {
        req.socket.destroy();
        return;
      }
      res.writeHead(response.status, response.headers);
      if (response.stream) {
        const closed = new AbortController();
        res.once('close', () => closed.abort());
        res.flushHeaders();
        await response.stream(chunk => res.write(chunk), closed.signal);
      }
      res.end(response.body);
    } catch (e) {
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: `sandbox failure: ${(e as Error).message}` }),
      );
    }
  };
}

function listen(server: http.Server, port: number, host: string) {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}

/**
 * Starts the sandbox on 127.0.0.1: an HTTP server that speaks AWS (STS, EC2, RDS, Secrets
 * Manager, EKS, ...), GitHub REST and git smart HTTP and Jira REST, and an HTTPS server with the
 * Kubernetes API of each EKS cluster it hosts, so the real client libraries work against it.
 */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const state = SandboxState.load(options.dataDir);
  const faults = new FaultInjector(options.faults, options.seed);
  faults.onRemoved = id => state.release(id);
  const gitRoot = options.dataDir
    ? path.join(options.dataDir, 'git')
    : path.join(
        require('node:os').tmpdir(),
        `konductor-sandbox-git-${process.pid}-${Date.now()}`,
      );
  const ctx: SandboxContext = {
    state,
    faults,
    url: '',
    kubernetes: { url: '', caPem: '' },
    gitRoot,
    durations: { ...DEFAULT_DURATIONS, ...options.durations },
    accountId: options.accountId ?? '123456789012',
    secretAccessKey: options.secretAccessKey ?? SANDBOX_SECRET_ACCESS_KEY,
    argocdToken: options.argocdToken ?? DEFAULT_ARGOCD_TOKEN,
    privateEndpoints: options.privateEndpoints ?? false,
    platformHub: options.platformHub ?? false,
    clientPublicIp: options.clientPublicIp ?? '203.0.113.10',
    jiraProjects: options.jiraProjects ?? ['PLAT', 'OPS'],
    vpcLimit: options.vpcLimit ?? 5,
    hostedZones: options.hostedZones ?? [],
    images: registryImages([STARTER_IMAGE, ...(options.images ?? [])]),
    calls: new Map(),
    github: new GithubIdentities(
      options.githubOrg ?? DEFAULT_ORG,
      options.githubOAuthApps ?? [DEFAULT_OAUTH_APP],
    ),
    async fault(service, operation) {
      const outcome = faults.check(service, operation);
      if (outcome.latencyMs > 0)
        // Unreferenced: a request held this long must not keep a stopping process alive.
        await new Promise(r => setTimeout(r, outcome.latencyMs).unref());
      return outcome;
    },
  };

  await seed(ctx);

  const server = http.createServer(
    listener(ctx, options, {
      git: true,
      routes: [
        ['/__sandbox', handleAdmin],
        // GraphQL under the REST base (github.com) and at /api/graphql (GitHub Enterprise).
        ['/github/graphql', handleGithubGraphql],
        ['/api/graphql', handleGithubGraphql],
        ['/github', handleGithub],
        // GitHub Enterprise's REST base, which sign-in uses with enterpriseInstanceUrl.
        ['/api/v3', handleGithub],
        ['/jira', handleJira],
        ['/argocd', handleArgoCd],
      ],
      fallbacks: [handleGithubOAuth, handleAws, handleGithubWeb],
    }),
  );
  // The clusters' Kubernetes API servers, over TLS as on EKS.
  const tls = await sandboxTls(options.dataDir);
  const kubernetes = https.createServer(
    { cert: tls.certPem, key: tls.keyPem },
    listener(ctx, options, {
      // An endpoint as the internet reaches it, and as its VPC does (the capability's agents).
      routes: [
        ['/k8s', (req, c) => handleKubernetes(req, c, 'internet')],
        ['/k8s-vpc', (req, c) => handleKubernetes(req, c, 'vpc')],
      ],
      fallbacks: [],
    }),
  );

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host}:${port}`;
  ctx.url = url;
  const kubernetesPort = await listen(
    kubernetes,
    options.kubernetesPort ?? 0,
    host,
  );
  ctx.kubernetes = {
    url: `https://${host}:${kubernetesPort}`,
    caPem: tls.caPem,
  };

  return {
    url,
    port,
    faults,
    state,
    githubUrl: `${url}/github`,
    jiraUrl: `${url}/jira`,
    kubernetesUrl: ctx.kubernetes.url,
    kubernetesCaPem: tls.caPem,
    stop: async () => {
      await Promise.all(
        [server, kubernetes].map(
          s =>
            new Promise<void>(resolve => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
