import type { GithubIdentities } from './github/identity';
import type { IncomingHttpHeaders } from 'node:http';
import type { FaultInjector, FaultOutcome } from './faults';
import type { SandboxState } from './state';

/** How long the sandbox's asynchronous operations take, in milliseconds. */
export interface SandboxDurations {
  /** VPC `pending` -> `available`. */
  vpc: number;
  /** RDS instance `creating` -> `available`. */
  rdsInstance: number;
  /** RDS instance `deleting` -> gone. */
  rdsInstanceDelete: number;
  /** RDS instance `modifying` (or `upgrading`) -> `available`, after ModifyDBInstance. */
  rdsModify: number;
  /** EKS cluster `CREATING` -> `ACTIVE`. */
  eksCluster: number;
  /** EKS cluster `DELETING` -> gone. */
  eksClusterDelete: number;
  /** EKS cluster `UPDATING` -> `ACTIVE` after UpdateClusterVersion. */
  eksClusterUpdate: number;
  /** EKS node group `CREATING` -> `ACTIVE`. */
  eksNodegroup: number;
  /** EKS node group `DELETING` -> gone. */
  eksNodegroupDelete: number;
  /** EKS node group `UPDATING` -> `ACTIVE` (its update `InProgress` -> `Successful`). */
  eksNodegroupUpdate: number;
  /** EKS capability `CREATING` -> `ACTIVE`. */
  eksCapability: number;
  /** EKS capability `DELETING` -> gone. */
  eksCapabilityDelete: number;
  /** EKS add-on `CREATING` -> `ACTIVE`. */
  eksAddon: number;
  /** EKS add-on `DELETING` -> gone. */
  eksAddonDelete: number;
  /** Kubernetes Deployment created -> available (its pods ready). */
  deployment: number;
  /** Kubernetes namespace `Terminating` -> gone. */
  namespaceDelete: number;
  /** NAT gateway `pending` -> `available`. */
  natGateway: number;
  /** NAT gateway `deleting` -> gone. */
  natGatewayDelete: number;
  /** A force-deleted Secrets Manager secret's name stays taken this long (deleted asynchronously). */
  secretForceDelete: number;
  /** ElastiCache replication group `creating` -> `available`. */
  cacheReplicationGroup: number;
  /** ElastiCache replication group `deleting` -> gone. */
  cacheReplicationGroupDelete: number;
  /** Route 53 change `PENDING` -> `INSYNC`. */
  dnsChange: number;
  /** ACM certificate requested -> its DNS validation record offered. */
  certificateRecord: number;
  /** ACM validation record found in a public zone -> certificate `ISSUED`. */
  certificateIssue: number;
}

/** A request as the service emulators see it. */
export interface SandboxRequest {
  method: string;
  /** Path below the service's prefix (for example `/user` for GitHub's `/github/user`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The request target as it came over the wire (path still percent-encoded, and query). */
  target?: string;
}

/** A response from a service emulator. */
export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** No answer at all: the connection is dropped, as by a network that does not route there. */
  drop?: boolean;
  /** A streamed body instead (a Kubernetes watch): written until done or the client goes. */
  stream?: (
    write: (chunk: string) => void,
    closed: AbortSignal,
  ) => Promise<void>;
}

/** What every service emulator is handed. */
export interface SandboxContext {
  state: SandboxState;
  faults: FaultInjector;
  /** The sandbox's base URL, for links and endpoints it hands out. */
  url: string;
  /** Base URL of the clusters' Kubernetes API servers (HTTPS), and the CA that signed them. */
  kubernetes: { url: string; caPem: string };
  durations: SandboxDurations;
  /** Default AWS account, used when the access key id names none. */
  accountId: string;
  /** The secret access key AWS requests must be signed with (every access key id's). */
  secretAccessKey: string;
  /** Jira project keys that exist. */
  jiraProjects: string[];
  /** VPCs an account may have per region (AWS's default quota: 5). */
  vpcLimit: number;
  /** Public hosted zones the default account has from the start, and again after a reset. */
  hostedZones: string[];
  /** Container images registries hold (qualified references): what a cluster's pods can pull. */
  images: ReadonlySet<string>;
  /** Folder of bare git repositories, when the sandbox has a data folder. */
  gitRoot: string;
  /** GitHub's people, teams, OAuth apps and the sessions of its OAuth web flow. */
  github: GithubIdentities;
  /** The account token every Argo CD capability's API accepts. */
  argocdToken: string;
  /**
   * Whether clusters' endpoints are reachable only as EKS configures them: a private-only endpoint
   * from inside its VPC alone, a public one from its publicAccessCidrs (callers outside come from
   * `clientPublicIp`). Off, every endpoint takes every caller.
   */
  privateEndpoints: boolean;
  /** Whether the platform's hub for delivery through git is seeded. */
  platformHub: boolean;
  /** The internet address the sandbox's callers from outside AWS (the portal) come from. */
  clientPublicIp: string;
  /**
   * AWS requests answered since the start or the last reset of the counts, by
   * `service:Operation` (`rds:DescribeDBInstances`): what a benchmark reads as cloud calls.
   */
  calls: Map<string, number>;
  /** Applies fault rules to one request, waiting out any injected latency. */
  fault(service: string, operation: string): Promise<FaultOutcome>;
}

/** An error a service answers with; each protocol renders it in the service's own shape. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** JSON response helper. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** Parses a JSON request body, answering a malformed one with `error`. */
export function parseJson(req: SandboxRequest, error: () => ServiceError): any {
  if (req.body.length === 0) return {};
  try {
    const value = JSON.parse(req.body.toString('utf8'));
    if (value === null || typeof value !== 'object') throw error();
    return value;
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw error();
  }
}

/** Random lower-case hex of `n` characters, for AWS-style ids. */
export function hexId(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}
