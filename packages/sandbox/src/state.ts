import fs from 'node:fs';
import path from 'node:path';

/** Where a long-running resource is in its life. */
export type Phase = 'creating' | 'active' | 'failed' | 'deleting' | 'gone';

/** One resource the sandbox holds, in whichever service it belongs to. */
/** What keeps a workload's pods from starting, as Kubernetes reports it. */
export interface PodBlocker {
  /** FailedCreate (no pods), FailedMount (pods wait in ContainerCreating) or CreateContainerConfigError. */
  reason: 'FailedCreate' | 'FailedMount' | 'CreateContainerConfigError';
  message: string;
}

export interface SandboxResource<T = any> {
  /** Service that owns it: ec2, rds, secretsmanager, eks, github, jira, kubernetes. */
  service: string;
  /** Resource type within the service, such as `vpc` or `cluster`. */
  type: string;
  /** Unique id within (service, type), for example a VPC id or `cluster/nodegroup`. */
  id: string;
  account?: string;
  region?: string;
  data: T;
  createdAt: number;
  /** When a create finishes (the resource becomes active, or failed when `fails`). */
  readyAt?: number;
  /** Set when the create was made to end in a failed state by fault injection. */
  fails?: boolean;
  /** When a delete finishes and the resource disappears. */
  goneAt?: number;
  /**
   * Why a Kubernetes workload's pods cannot start yet (a volume that does not mount, a Secret
   * that is missing), in the words of the controller or kubelet that says it; checked again on
   * every request to its cluster.
   */
  blocked?: PodBlocker;
  /** When a running workload's mounted secrets were last read again (the CSI driver's rotation). */
  syncedAt?: number;
  /**
   * A create held in progress by the fault rule `by` (readyAt is far off); once the rule is
   * removed it finishes `ms` later.
   */
  held?: { by: string; ms: number };
}

/** The phase of `resource` at time `now`; lifecycles are timestamps, so no timers are needed. */
export function phaseOf(resource: SandboxResource, now = Date.now()): Phase {
  if (resource.goneAt !== undefined) {
    return now >= resource.goneAt ? 'gone' : 'deleting';
  }
  if (resource.readyAt !== undefined && now < resource.readyAt) {
    return 'creating';
  }
  return resource.fails ? 'failed' : 'active';
}

/** What a client (idempotency) token was first used for. */
export interface TokenUse {
  /** The request's parameters other than the token, as the service compares them. */
  request: string;
  /** What the first request created (kept after the resource is deleted). */
  result: SandboxResource;
  at: number;
}

/** How long a service remembers a client token: "at least 24 hours" (EC2's idempotency guide). */
export const TOKEN_MEMORY_MS = 24 * 3600_000;

/**
 * Every resource the sandbox holds, persisted as JSON in its data folder (when it has one) so a
 * restarted sandbox still has what was created.
 */
export class SandboxState {
  private readonly resources = new Map<string, SandboxResource>();
  private readonly tokens = new Map<string, TokenUse>();
  private counter = 0;

  private constructor(private readonly file?: string) {}

  static load(dataDir?: string): SandboxState {
    const file = dataDir ? path.join(dataDir, 'state.json') : undefined;
    const state = new SandboxState(file);
    if (file && fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      state.counter = saved.counter ?? 0;
      for (const r of saved.resources ?? []) state.resources.set(key(r), r);
      for (const [k, use] of Object.entries<TokenUse>(saved.tokens ?? {}))
        state.tokens.set(k, use);
    }
    return state;
  }

  /** A fresh sequence number, stable across restarts (ids, issue numbers). */
  next(): number {
    this.counter += 1;
    return this.counter;
  }

  get<T>(
    service: string,
    type: string,
    id: string,
  ): SandboxResource<T> | undefined {
    const r = this.resources.get(`${service}/${type}/${id}`);
    if (r && phaseOf(r) === 'gone') {
      this.resources.delete(key(r));
      this.save();
      return undefined;
    }
    return r;
  }

  list<T>(service: string, type?: string): SandboxResource<T>[] {
    const out: SandboxResource<T>[] = [];
    let pruned = false;
    for (const r of this.resources.values()) {
      if (r.service !== service || (type && r.type !== type)) continue;
      if (phaseOf(r) === 'gone') {
        this.resources.delete(key(r));
        pruned = true;
      } else {
        out.push(r);
      }
    }
    if (pruned) this.save();
    return out;
  }

  put<T>(resource: SandboxResource<T>): SandboxResource<T> {
    this.resources.set(key(resource), resource);
    this.save();
    return resource;
  }

  remove(service: string, type: string, id: string) {
    this.resources.delete(`${service}/${type}/${id}`);
    this.save();
  }

  /**
   * The first use of client token `token` in `scope` (service, account, region), if the service
   * still remembers it. Tokens outlive the resources they created, so a token reused after a delete
   * answers with the deleted resource or, with other parameters, an idempotency mismatch.
   */
  recallToken(scope: string, token: string): TokenUse | undefined {
    const use = this.tokens.get(`${scope}/${token}`);
    if (use && Date.now() - use.at > TOKEN_MEMORY_MS) {
      this.tokens.delete(`${scope}/${token}`);
      return undefined;
    }
    return use;
  }

  rememberToken(scope: string, token: string, use: TokenUse) {
    this.tokens.set(`${scope}/${token}`, use);
    this.save();
  }

  /** Lets the creates the fault rule `by` held finish, each its usual duration from now. */
  release(by: string) {
    const now = Date.now();
    for (const r of this.resources.values())
      if (r.held?.by === by) {
        r.readyAt = now + r.held.ms;
        delete r.held;
      }
    this.save();
  }

  /** Every live resource, for the inspection endpoint. */
  all(): SandboxResource[] {
    const services = new Set([...this.resources.values()].map(r => r.service));
    return [...services].flatMap(s => this.list(s));
  }

  clear() {
    this.resources.clear();
    this.tokens.clear();
    this.save();
  }

  save() {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(
      tmp,
      JSON.stringify({
        counter: this.counter,
        resources: [...this.resources.values()],
        tokens: Object.fromEntries(this.tokens),
      }),
    );
    fs.renameSync(tmp, this.file);
  }
}

function key(r: { service: string; type: string; id: string }) {
  return `${r.service}/${r.type}/${r.id}`;
}
